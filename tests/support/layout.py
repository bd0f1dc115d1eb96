"""Layout checks for a page in a real browser: what a phone-sized screen cuts off."""

from __future__ import annotations

# Each shown input with a placeholder: its text's width in the input's own font, and the room it has.
_PLACEHOLDER_WIDTHS = """
const canvas = document.createElement("canvas").getContext("2d");
return [...document.querySelectorAll("input[placeholder]")].filter((input) => input.offsetParent).map((input) => {
  const style = getComputedStyle(input);
  canvas.font = style.font;
  const room = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return [input.id, input.placeholder, canvas.measureText(input.placeholder).width, room];
});
"""

_OFF_SCREEN = """
return [...document.querySelectorAll(arguments[0])].filter((element) => {
  const box = element.getBoundingClientRect();
  return box.left < 0 || box.right > window.innerWidth || box.width === 0;
}).map((element) => element.textContent.trim());
"""


def cut_placeholders(driver) -> list[tuple[str, str]]:
    """Return (id, placeholder) of every shown input whose placeholder does not fit in it."""
    shown = driver.execute_script(_PLACEHOLDER_WIDTHS)
    assert shown, "no input with a placeholder is shown"
    return [(name, text) for name, text, width, room in shown if width > room]


def off_screen(driver, selector: str) -> list[str]:
    """Return the text of every element matching ``selector`` that is not wholly inside the window."""
    return driver.execute_script(_OFF_SCREEN, selector)
