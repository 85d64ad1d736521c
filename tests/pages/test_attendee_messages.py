"""Messages to attendees in the browser (issue 13): written in German and English, previewed with
the number of recipients, sent once per person even when the send button is double-clicked
(the mails arrive at a real SMTP server and the mail history lists one per person); a line break
in the subject is refused next to the field. German, one step in English at phone size;
screenshots in `artifacts/screenshots/messages-*.png`."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from harness.infra import wait_until
from tests.support.pages import (
    DESKTOP,
    EVENT,
    PHONE,
    mails_to,
    page_width,
    platform_of,
    programme_of_today,
    register_attendee,
    screenshot,
    serious_violations,
    sign_in,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SUBJECT_DE = "Bitte Ausweis mitbringen"
SUBJECT_EN = "Please bring your ID"
PEOPLE = ("juergen@example.org", "ana@example.org", "carla@example.org")


@pytest.fixture(scope="module")
def messages_stack(tmp_path_factory, smtp):
    """Today's browser week with one seat in each main-stage session: Jürgen has the seat in
    "Pflege sichern" (Ana waits), Ana (English mails) the one in "Brücken bauen" (Carla waits)."""
    tmp_path = tmp_path_factory.mktemp("messages")
    programme = programme_of_today({"care": 1, "bridges": 1})
    with platform_of(tmp_path, programme, SMTP_URL=smtp.url) as platform:
        ids = platform.session_ids()
        register_attendee(platform, "Jürgen Größe", PEOPLE[0], [ids["care"]])
        register_attendee(platform, "Ana Lima", PEOPLE[1], [ids["care"], ids["bridges"]], "en")
        register_attendee(platform, "Carla Weiß", PEOPLE[2], [ids["bridges"]])
        yield platform, ids


def messages_url(stack) -> str:
    return f"{stack.url('notify')}/{EVENT}/organiser/messages"


def write(page, subject_de: str, text_de: str, subject_en: str = "", text_en: str = "") -> None:
    page.locator("#field-subject_de").fill(subject_de)
    page.locator("#field-text_de").fill(text_de)
    page.locator("#field-subject_en").fill(subject_en)
    page.locator("#field-text_en").fill(text_en)


def message_mails(smtp, address: str) -> list:
    return [mail for mail in mails_to(smtp, address) if mail["Subject"] in (SUBJECT_DE, SUBJECT_EN)]


def test_compose_preview_and_send_once(messages_stack, smtp, new_page):
    stack, _ids = messages_stack
    page = new_page(viewport=DESKTOP)
    sign_in(page, stack.url("schedule"))
    page.goto(messages_url(stack))
    expect(page.get_by_role("heading", name="Nachrichten an Teilnehmende", level=1)).to_be_visible()
    assert serious_violations(page) == []
    screenshot(page, "messages-compose-desktop")

    write(
        page,
        SUBJECT_DE,
        "Hallo,\n\nam Einlass zeigst du bitte deinen Ausweis vor.",
        SUBJECT_EN,
        "Hello,\n\nplease show your ID at the door.",
    )
    page.get_by_role("button", name="Vorschau").click()
    preview = page.locator("section[aria-labelledby=preview-heading]")
    # People with a seat only: Jürgen (German) and Ana (English).
    expect(preview.locator(".lead")).to_contain_text("2 Personen bekommen diese Nachricht:")
    expect(preview.locator(".lead")).to_contain_text("1 auf Deutsch, 1 auf Englisch")
    expect(preview).to_contain_text(f"Betreff: {SUBJECT_DE}")
    expect(preview).to_contain_text(f"Betreff: {SUBJECT_EN}")
    expect(preview).to_contain_text("am Einlass zeigst du bitte deinen Ausweis vor.")
    # The form keeps what was written, to change it.
    expect(page.locator("#field-subject_de")).to_have_value(SUBJECT_DE)

    # With the waiting list: Carla as well.
    page.get_by_label("Auch an Leute auf der Warteliste").check()
    page.get_by_role("button", name="Vorschau").click()
    expect(preview.locator(".lead")).to_contain_text("3 Personen bekommen diese Nachricht:")
    assert serious_violations(page) == []
    screenshot(page, "messages-preview-desktop")

    # Double-clicked: sent once.
    send_form = page.locator("form", has=page.get_by_role("button", name="An 3 Personen senden"))
    resend = {
        name: send_form.locator(f"input[name={name}]").get_attribute("value")
        for name in ("csrf_token", "draft")
    }
    action = send_form.get_attribute("action")
    page.get_by_role("button", name="An 3 Personen senden").dblclick()
    expect(page.get_by_role("status").first).to_contain_text(
        "Die Nachricht ist an 3 Personen unterwegs."
    )
    # The same form sent once more (a third click, a reload, a second tab): not sent again.
    answer = page.request.post(f"{stack.url('notify')}{action}", form=resend)
    assert answer.ok
    assert "Diese Nachricht ist schon verschickt" in answer.text()
    for address in PEOPLE:
        wait_until(lambda a=address: message_mails(smtp, a), timeout=60, message=address)
    time.sleep(5)  # a second mail, if one were queued, would be sent by now
    for address in PEOPLE:
        assert len(message_mails(smtp, address)) == 1, address
    assert [m["Subject"] for m in message_mails(smtp, PEOPLE[1])] == [SUBJECT_EN]
    assert [m["Subject"] for m in message_mails(smtp, PEOPLE[0])] == [SUBJECT_DE]

    page.goto(messages_url(stack))
    sent = page.locator("table tbody tr")
    expect(sent).to_have_count(1)
    expect(sent.first).to_contain_text(SUBJECT_DE)
    expect(sent.first.locator("td.number").first).to_have_text("3")
    screenshot(page, "messages-sent-desktop")

    # The mail history: one message mail per person.
    page.goto(f"{stack.url('notify')}/{EVENT}/organiser/mails")
    rows = page.locator(".mail-table tbody tr", has_text="Nachricht vom Team")
    expect(rows).to_have_count(3)
    for address in PEOPLE:
        expect(rows.filter(has_text=address)).to_have_count(1)


def test_a_line_break_in_the_subject_is_refused_next_to_the_field(messages_stack, new_page):
    stack, _ids = messages_stack
    page = new_page(viewport=DESKTOP)
    sign_in(page, stack.url("schedule"))
    page.goto(messages_url(stack))
    # A text field drops line breaks; a hostile client sends them anyway (a textarea in its place).
    page.evaluate(
        """() => {
            const input = document.getElementById('field-subject_de');
            const area = document.createElement('textarea');
            area.id = input.id; area.name = input.name;
            input.replaceWith(area);
        }"""
    )
    page.locator("#field-subject_de").fill("Raum 2\r\nBcc: everyone@example.org")
    page.locator("#field-text_de").fill("Der Vortrag ist im zweiten Stock.")
    page.get_by_role("button", name="Vorschau").click()
    expect(page.locator("#error-subject_de-1")).to_have_text(
        "Der Betreff muss eine Zeile sein, ohne Zeilenumbruch."
    )
    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.locator("section[aria-labelledby=preview-heading]")).to_have_count(0)
    assert serious_violations(page) == []
    screenshot(page, "messages-subject-refused-desktop")


def test_messages_in_english_at_phone_size(messages_stack, new_page):
    stack, ids = messages_stack
    page = new_page(viewport=PHONE, locale="en-GB")
    sign_in(page, stack.url("schedule"))
    page.goto(messages_url(stack) + "?lang=en")
    expect(page.get_by_role("heading", name="Messages to attendees", level=1)).to_be_visible()
    page.get_by_label("To whom").select_option(str(ids["care"]))
    page.get_by_label("Also people on the waiting list").check()
    write(page, "Raum 2", "Die Session ist im zweiten Stock.", "Room 2", "It is on the 2nd floor.")
    page.get_by_role("button", name="Preview").click()
    preview = page.locator("section[aria-labelledby=preview-heading]")
    # Jürgen with the seat, Ana waiting.
    expect(preview.locator(".lead")).to_contain_text("2 people get this message:")
    expect(preview.locator(".lead")).to_contain_text("1 in German, 1 in English")
    expect(page.get_by_role("button", name="Send to 2 people")).to_be_visible()
    width = page_width(page)
    assert width <= PHONE["width"], width
    assert serious_violations(page) == []
    screenshot(page, "messages-preview-phone-en")

    page.goto(messages_url(stack) + "?lang=de")
    assert serious_violations(page) == []
    screenshot(page, "messages-compose-phone")
