"""Recalibrating a German site: its comments carry no toxicity or off-topic score (the models
abstained), so its moderators' decisions are left out rather than fitted on the scores that are
missing, and the command says why nothing changed."""

from __future__ import annotations

from click.testing import CliRunner

from tests.conftest import ORIGIN, FakeClock
from townhall.cli import main
from townhall.config import Settings
from townhall.models import SiteSettings
from townhall.moderation import calibrate, policy
from townhall.moderation.pipeline import Models, Pipeline
from townhall.moderation.signal import SignalResult
from townhall.services import build_services
from townhall.services.identity import guest
from townhall.storage import Storage
from townhall.types import CommentStatus, Decision

STORY = (
    "Der Nachtbus fährt ab Montag alle vierzig Minuten zwischen Mitternacht und fünf Uhr früh. "
    "Die Stadt bezahlt den Versuch ein halbes Jahr lang aus den Parkgebühren."
)
# True: the moderators reject it.
COMMENTS = [
    ("Endlich ein Nachtbus, ich arbeite bis halb zwei im Krankenhaus und laufe sonst heim.", False),
    ("Vierzig Minuten Takt ist im Winter lang, zwanzig Minuten wären am Wochenende besser.", False),
    ("Hält der Bus auch in der Nordstadt oder nur an der Hauptstraße?", False),
    ("Ein halbes Jahr Versuch klingt vernünftig, danach sollte man die Fahrgastzahlen prüfen.", False),
    ("Schön, dass die Parkgebühren endlich für etwas Sinnvolles ausgegeben werden.", False),
    ("Fährt der Bus auch an Feiertagen oder nur an normalen Wochentagen?", False),
    ("Die Schichtarbeiter im Hafen haben seit Jahren um diese Verbindung gebeten.", False),
    ("Passt der Fahrplan zu den letzten Zügen am Bahnhof? Das wäre wichtig.", False),
    ("Ich hoffe, die Haltestellen werden nachts auch ordentlich beleuchtet.", False),
    ("Gute Entscheidung des Stadtrats, auch wenn zwei Busse nicht viel sind.", False),
    ("Der Stadtrat besteht nur aus Idioten, die nie nachts arbeiten mussten.", True),
    ("Wer nachts Bus fährt, ist doch sowieso betrunken, was für eine Geldverschwendung.", True),
    ("Haltet endlich die Klappe, ihr Trottel, die ganze Verwaltung ist korrupt.", True),
    ("Dieser Verkehrsdezernent ist ein Lügner und gehört sofort gefeuert.", True),
    ("Nur ein kompletter Vollidiot wartet vierzig Minuten auf einen dreckigen Bus.", True),
    ("Die Gewerkschaft der Fahrer sind gierige Schmarotzer, alle miteinander.", True),
    ("Ihr seid alle hirnlose Schafe, wenn ihr diesem Rathaus ein Wort glaubt.", True),
    ("Faule Beamte, ich hoffe, sie verlieren alle ihre Posten und ihre Pensionen.", True),
    ("Eine Bande von feigen Lügnern sitzt in diesem Verkehrsausschuss.", True),
    ("Was für ein dämlicher Plan von Schwachköpfen, die keine Ahnung haben.", True),
    ("Verschwindet, ihr jammernden Narren, euer Bus interessiert keinen Menschen.", True),
    ("Typisch für diese unfähige Stadtverwaltung, dummer Plan, dumme Leute.", True),
]


def test_a_site_whose_comments_the_models_cannot_read_is_not_recalibrated(
    config: Settings, clock: FakeClock, models: Models
) -> None:
    assert len(COMMENTS) >= calibrate.MIN_DECISIONS  # enough that, counted, they would be learned from
    storage = Storage(config.database_url)
    storage.migrate()
    services = build_services(config, storage, "secret", moderator=Pipeline(models), clock=clock)
    try:
        site = services.sites.add("anzeiger", "Der Anzeiger", [ORIGIN])
        site = services.sites.update_settings("anzeiger", {"language": "de", "unknown_language": "hold"})
        story = f"{ORIGIN}/news/nachtbus"
        services.stories.push(site, story, {"title": "Nachtbus im Versuch", "text": STORY}, "test")
        for number, (text, bad) in enumerate(COMMENTS):
            reader = guest(f"Leser {number}", None, f"leser-{number}", "s")
            comment = services.comments.post(site, story, text, reader).comment
            assert comment.status is CommentStatus.HELD, text  # the site holds what the models cannot read
            verdict = services.comments.get(comment.id).verdict
            assert verdict["signals"]["toxicity"]["score"] is None, text
            assert verdict["signals"]["spam"]["score"] is not None  # its rules still read it
            if bad:
                services.queue.reject(comment.id, "moderator")
            else:
                services.queue.approve(comment.id, "moderator")

        outcome = services.calibration.run("anzeiger", "test")
        # Nothing fitted on the scores that are missing: no decision counted, nothing recorded.
        assert outcome.result.decisions == 0 and outcome.result.unread == len(COMMENTS)
        assert not outcome.recorded and outcome.result.after is None and outcome.result.head is None
        assert services.calibration.history("anzeiger") == []
        assert services.sites.get("anzeiger").settings.thresholds == {}
        assert outcome.after == outcome.before
    finally:
        storage.close()

    said = CliRunner().invoke(
        main, ["--database-url", config.database_url, "moderate", "calibrate", "--site", "anzeiger"]
    )
    assert said.exit_code == 0, said.output
    assert "0 moderator decision(s) on anzeiger" in said.output
    assert f"{len(COMMENTS)} more left out: on comments in a language the models do not read" in said.output
    assert "too few decisions to learn from (20 needed): nothing changed" in said.output


def test_a_decision_is_left_out_when_any_model_signal_could_not_read_its_language() -> None:
    limits = {"toxicity": {"hold": 0.5}, "off_topic": {"hold": 0.6}, "spam": {"hold": 0.7}}
    english = {
        "toxicity": {"score": 0.8, "evidence": {}},
        "off_topic": {"score": 0.1, "evidence": {}},
        "spam": {"score": 0.05, "evidence": {"model_score": 0.05}},
    }
    assert calibrate.example({"signals": english}, True, limits) == calibrate.Example(
        {"toxicity": 0.8, "off_topic": 0.1, "spam": 0.05}, False, True
    )
    # Spam read it without its text model: its score alone would carry the rejection.
    partly = {**english, "spam": {"score": 0.05, "evidence": {"not_checked": "written in German, …"}}}
    german = {
        **partly,
        "toxicity": {"score": None, "evidence": {"language": "de", "not_checked": "written in German, …"}},
    }
    for signals in (partly, german):
        assert calibrate.unread({"signals": signals})
        assert calibrate.example({"signals": signals}, True, limits) is None
    assert not calibrate.unread({"signals": english}) and not calibrate.unread(None)


def test_a_sites_head_does_not_decide_a_comment_the_models_could_not_read() -> None:
    limits = policy.thresholds_for(SiteSettings())
    spam = (limits["spam"]["hold"] + limits["spam"].get("reject", 1.0)) / 2  # held, not rejected
    why = "written in German, which the model does not know"
    signals = {
        "toxicity": SignalResult("toxicity", None, {"language": "de", "not_checked": why}),
        "off_topic": SignalResult("off_topic", None, {"language": "de", "not_checked": why}),
        "spam": SignalResult("spam", spam, {"not_checked": why.replace("model", "text model")}),
    }
    # A head that leans on toxicity: with the missing scores read as zeros it would publish.
    head = {"weights": {"toxicity": 8.0, "off_topic": 2.0, "spam": 0.5}, "bias": -5.0, "threshold": 0.5}
    verdict = policy.decide(signals, SiteSettings(), calibration={"head": head})
    assert verdict.decision is Decision.HOLD and verdict.reader_reasons == ("spam",)
    assert not any(r.startswith("site calibration") for r in verdict.reasons)
