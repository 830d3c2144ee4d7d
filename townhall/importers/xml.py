"""Hardened, streaming XML for the importers.

defusedxml refuses DTDs, entity declarations and external references, so a billion-laughs file
or an external-entity (XXE) file is refused before anything expands or is fetched; iterparse
hands over one element at a time, so a large export is never held whole in memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

import defusedxml
import defusedxml.ElementTree

from townhall.errors import Invalid


def local(tag: str) -> str:
    """An element's name without its namespace: '{http://disqus.com}post' → 'post'."""
    return tag.rsplit("}", 1)[-1]


def child_text(element: Element, name: str) -> str:
    """The stripped text of the first direct child named ``name`` (any namespace), or ''."""
    for child in element:
        if local(child.tag) == name:
            return (child.text or "").strip()
    return ""


def child(element: Element, name: str) -> Element | None:
    for found in element:
        if local(found.tag) == name:
            return found
    return None


def stream(path: Path, depth: int) -> Iterator[tuple[Element, Element]]:
    """Yield (parent, element) for each complete element ``depth`` levels below the root.

    The caller reads the element; it is then removed from its parent, so memory stays flat.
    """
    parents: list[Element] = []
    try:
        for event, element in defusedxml.ElementTree.iterparse(
            str(path), events=("start", "end"), forbid_dtd=True
        ):
            if event == "start":
                parents.append(element)
                continue
            parents.pop()
            if len(parents) == depth:
                parent = parents[-1]
                yield parent, element
                parent.remove(element)
    except defusedxml.DTDForbidden as exc:
        raise Invalid(
            f"{path.name}: the file declares a DTD, which no export has; refused "
            "(entity expansion such as 'billion laughs' and external entities are never processed)"
        ) from exc
    except (defusedxml.EntitiesForbidden, defusedxml.ExternalReferenceForbidden) as exc:
        raise Invalid(f"{path.name}: the file declares entities or external references; refused") from exc
    except ParseError as exc:
        line, column = exc.position
        raise Invalid(
            f"{path.name}: not well-formed XML at line {line}, column {column}; nothing was imported"
        ) from exc
    except OSError as exc:
        raise Invalid(f"cannot read {path}: {exc.strerror or exc}") from exc


def items(path: Path, container: str, depth: int, what: str) -> Iterator[Element]:
    """Each element inside ``<container>`` (itself ``depth - 1`` levels below the root).

    A file whose elements at that depth sit in anything else is not the format: refused,
    naming ``what`` it should have been.
    """
    seen = False
    for parent, element in stream(path, depth):
        if local(parent.tag) != container:
            break
        seen = True
        yield element
    if not seen:
        raise Invalid(f"{path.name} is not {what}")
