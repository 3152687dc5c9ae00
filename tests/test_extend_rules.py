"""Extensions follow the calendar: a new last day off moves to the next working
day, and the next reminder goes at the send hour, saying "đã gia hạn đến …"."""

from sqlalchemy import select

from tests.conftest import EXAMPLES, at
from tracker.services.simulate import simulate
from tracker.store.models import Assignment, Obligation, Unit


def setup(cli):
    cli("units", "import", str(EXAMPLES / "units.csv"))
    cli("--now", "2021-03-01T09:00", "plan", "import", str(EXAMPLES / "hn-2021-43.yaml"))


def syt_half_year(rt):
    with rt.store.read() as s:
        return s.scalar(select(Assignment).join(Obligation).join(Unit, Unit.id == Assignment.unit_id)
                        .where(Obligation.code == "bao-cao-6-thang", Unit.code == "syt"))


def test_an_extension_to_a_saturday_moves_to_the_next_working_day(cli, rt):
    setup(cli)
    result = cli("--now", "2021-05-27T14:00", "extend", "syt", "bao-cao-6-thang", "--until", "2021-06-12",
                 "--reason", "số liệu chậm")
    assert result.exit_code == 0
    assert result.out == "syt bao-cao-6-thang (hn-2021-43, 2021): due 2021-06-14 23:59 (pending)\n"


def test_the_reminder_after_an_extension_waits_for_the_send_hour_and_says_extended(cli, rt):
    setup(cli)
    # Extended on Tuesday 1/6 at 14:00 to Saturday 12/6 (-> Monday 14/6): its before:14 (Mon 31/5)
    # is already due, and goes at Wednesday's send hour, not at 14:00.
    cli("--now", "2021-06-01T14:00", "extend", "syt", "bao-cao-6-thang", "--until", "2021-06-12", "--reason", "x")
    assert syt_half_year(rt).next_action_at == at("2021-06-02T08:00")
    msgs = list(simulate(rt, at("2021-06-01T14:00"), at("2021-06-02T23:00")))
    mine = [(m.at, i.stage, i.extended) for m in msgs for i in m.digest.items
            if i.unit == "syt" and i.obligation == "bao-cao-6-thang"]
    assert mine == [(at("2021-06-02T08:00"), "before:14", True)]
    from tracker.render.mail import render_digest

    [message] = [m for m in msgs if m.digest.recipient_unit == "syt"]
    assert "   Hạn: đã gia hạn đến Thứ Hai, 14/06/2021 (còn 12 ngày)\n" in render_digest(message.digest, rt.settings).text
