from tests.conftest import at, load_sample


def test_sample_plan_imports_into_a_migrated_sqlite_file(rt):
    load_sample(rt, at("2021-03-01T09:00"))
    from tracker.services.status import status

    rows = status(rt, at("2021-06-03T09:00"), unit="hlhpn")
    assert [(r.obligation, r.period, r.state) for r in rows] == [
        ("ke-hoach-don-vi", "2021", "overdue"),
        ("bao-cao-6-thang", "2021", "overdue"),
        ("bao-cao-nam", "2021", "pending"),
    ]
