"""Unit files as offices save them: Excel's Unicode Text (UTF-16, tabs), CSV
with semicolons, Windows-1258 with --encoding, .xlsx; a Word or zip file is
named as such; every problem of a file is reported in one run."""

import io
import zipfile

from tests.conftest import EXAMPLES

ROWS = [("code", "name", "email", "head_email", "kind", "parent"),
        ("so-y-te", "Sở Y tế", "vanthu@soyte.example.vn", "", "so", ""),
        ("bv-01", "Bệnh viện Đa khoa tỉnh", "bv01@soyte.example.vn", "", "benh-vien", "so-y-te")]


def to_cp1258(text: str) -> bytes:
    """As Windows saves Vietnamese: a base letter (â, ơ, ư …) and a combining tone mark."""
    import unicodedata

    out = []
    for ch in text:
        base, *marks = unicodedata.normalize("NFD", ch)
        candidates = [ch] + [unicodedata.normalize("NFC", base + m) + "".join(marks[:i] + marks[i + 1:])
                             for i, m in enumerate(marks)] + [base + "".join(marks)]
        for candidate in candidates:
            try:
                out.append(candidate.encode("cp1258"))
                break
            except UnicodeEncodeError:
                continue
    return b"".join(out)


def names(cli):
    import json

    return {u["code"]: u["name"] for u in json.loads(cli("units", "list", "--json").out)}


def test_excel_unicode_text_utf16_with_bom_and_tabs_is_read(cli, tmp_path):
    path = tmp_path / "don-vi.txt"
    path.write_bytes("\r\n".join("\t".join(r) for r in ROWS).encode("utf-16"))
    result = cli("units", "import", str(path))
    assert result.exit_code == 0, result.err
    assert names(cli)["bv-01"] == "Bệnh viện Đa khoa tỉnh"


def test_a_semicolon_csv_is_read(cli, tmp_path):
    path = tmp_path / "don-vi.csv"
    path.write_text("\n".join(";".join(r) for r in ROWS) + "\n", encoding="utf-8-sig")
    assert cli("units", "import", str(path)).exit_code == 0
    assert names(cli)["so-y-te"] == "Sở Y tế"


def test_windows_1258_needs_its_encoding_named_and_is_then_read(cli, tmp_path):
    path = tmp_path / "don-vi.csv"
    path.write_bytes(to_cp1258("\n".join(",".join(r) for r in ROWS)))
    refused = cli("units", "import", str(path))
    assert refused.exit_code == 1 and refused.err.startswith(f"error: {path}: not UTF-8 text (byte ")
    assert "--encoding cp1258" in refused.err and len(refused.err.splitlines()) == 1
    assert cli("units", "import", str(path), "--encoding", "cp1258").exit_code == 0
    assert names(cli)["bv-01"] == "Bệnh viện Đa khoa tỉnh"


def test_an_xlsx_workbook_is_read(cli, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    for row in ROWS:
        book.active.append(list(row))
    path = tmp_path / "don-vi.xlsx"
    book.save(path)
    assert cli("units", "import", str(path)).exit_code == 0
    assert names(cli)["bv-01"] == "Bệnh viện Đa khoa tỉnh"


def test_a_word_document_given_as_a_table_is_named_as_such(cli, tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("word/document.xml", "<w:document/>")
    path = tmp_path / "don-vi.csv"
    path.write_bytes(buffer.getvalue())
    result = cli("units", "import", str(path))
    assert (result.exit_code, result.err) == (1, f"error: {path}: a Word document (.docx), not a table: copy the "
                                                 "table into Excel and save it as .xlsx or 'CSV UTF-8'\n")


def test_every_problem_of_a_units_file_is_reported_in_one_run(cli, tmp_path):
    path = tmp_path / "don-vi.csv"
    path.write_text("code,name,email,head_email,kind,parent\n"
                    "a,Đơn vị A,a@example.vn,,,khong-co\n"
                    "b,Đơn vị B,,,,\n"
                    "a,Đơn vị A lần hai,a2@example.vn,,,\n", encoding="utf-8")
    result = cli("units", "import", str(path))
    assert result.exit_code == 1
    assert result.err.splitlines() == [
        f"error: {path}:2: unit 'a': unknown parent unit 'khong-co'",
        f"error: {path}:3: unit 'b' has no e-mail address",
        f"error: {path}:4: duplicate unit code 'a' (first at {path}:2)",
    ]
    assert cli("units", "list", "--json").out.strip() == "[]"
