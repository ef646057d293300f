"""Reading the dashboard's figures: a picture's caption, a tile, the table behind a picture."""

import re


def caption(text: str, slug: str) -> str:
    found = re.search(
        rf'id="chart-{slug}".*?<figcaption class="insight-summary">(.*?)</figcaption>', text, re.S
    )
    assert found, f"no figure {slug}"
    return " ".join(found.group(1).split())


def tile(text: str, name: str) -> str:
    return re.search(rf'id="tile-{name}">(.*?)<', text).group(1)


def numbers(text: str, slug: str) -> list[list[str]]:
    """The rows of the table behind a picture, cell by cell."""
    figure = re.search(rf'id="chart-{slug}".*?</figure>', text, re.S).group(0)
    body = re.search(r"<tbody>(.*?)</tbody>", figure, re.S).group(1)
    return [
        re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row) for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]
