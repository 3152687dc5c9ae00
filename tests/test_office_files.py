"""Files as offices save them: Excel's Unicode Text (UTF-16, tabs), CSV with
semicolons, UTF-8 with or without a BOM, Windows-1258 detected (or named with
--encoding), .xlsx by its content; a Word, PDF, Excel or zip file given where
text is expected is named as such, with what to do; every problem of a file is
reported in one run."""

import io
import unicodedata
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


def test_windows_1258_vietnamese_is_detected_read_as_nfc_and_said_so(cli, tmp_path):
    path = tmp_path / "don-vi.csv"
    data = to_cp1258("\n".join(",".join(r) for r in ROWS))
    assert b"\xd2" in data and b"\xf2" in data  # tone marks as their own bytes, as Windows writes them
    path.write_bytes(data)
    result = cli("units", "import", str(path))
    assert (result.exit_code, result.out, result.err) == (
        0, f"{path}: 2 units created, 0 updated, 0 unchanged\n",
        f"{path}: read as Windows-1258 (cp1258), detected from its Vietnamese text\n")
    assert names(cli) == {"so-y-te": "Sở Y tế", "bv-01": "Bệnh viện Đa khoa tỉnh"}
    assert all(n == unicodedata.normalize("NFC", n) for n in names(cli).values())


def test_windows_1258_named_with_encoding_is_read_and_said_so(cli, tmp_path):
    path = tmp_path / "don-vi.csv"
    path.write_bytes(to_cp1258("\n".join(",".join(r) for r in ROWS)))
    result = cli("units", "import", str(path), "--encoding", "cp1258")
    assert (result.exit_code, result.err) == (0, f"{path}: read as cp1258 (--encoding)\n")
    assert names(cli)["bv-01"] == "Bệnh viện Đa khoa tỉnh"


def test_utf8_without_a_bom_is_read_and_nothing_is_said_about_it(cli, tmp_path):
    path = tmp_path / "don-vi.csv"
    path.write_text("\n".join(",".join(r) for r in ROWS) + "\n", encoding="utf-8")
    result = cli("units", "import", str(path))
    assert (result.exit_code, result.err) == (0, "")
    assert names(cli)["so-y-te"] == "Sở Y tế"


def test_utf16_big_endian_with_semicolons_is_read(cli, tmp_path):
    path = tmp_path / "don-vi.csv"
    path.write_bytes(b"\xfe\xff" + "\r\n".join(";".join(r) for r in ROWS).encode("utf-16-be"))
    result = cli("units", "import", str(path))
    assert (result.exit_code, result.err) == (0, f"{path}: read as UTF-16 BE (byte-order mark)\n")
    assert names(cli)["bv-01"] == "Bệnh viện Đa khoa tỉnh"


def test_an_eight_bit_file_that_is_not_vietnamese_is_refused_in_one_line(cli, tmp_path):
    path = tmp_path / "don-vi.csv"
    path.write_bytes("code,name,email\nmue,Müller Straße,a@example.de\n".encode("cp1252"))
    result = cli("units", "import", str(path))
    assert (result.exit_code, result.out, result.err) == (
        1, "", f"error: {path}: not UTF-8 text (byte 21), nor Vietnamese Windows-1258: save it in Excel as "
               "'CSV UTF-8', or give its encoding with --encoding NAME\n")
    assert cli("units", "import", str(path), "--encoding", "cp1252").exit_code == 0


def test_the_cp1258_rule_wants_tone_marks_after_vowels_only():
    from tracker.core.tabletext import reads_as_cp1258_vietnamese

    assert reads_as_cp1258_vietnamese(to_cp1258("Sở Y tế"))
    assert reads_as_cp1258_vietnamese(to_cp1258("Đội"))  # đ and one tone mark
    assert not reads_as_cp1258_vietnamese(to_cp1258("tế"))  # a single sign is too little to judge
    assert not reads_as_cp1258_vietnamese("Ìbiza Òla".encode("cp1252"))  # 0xCC, 0xD2 at a word's start
    assert not reads_as_cp1258_vietnamese("Müller Straße".encode("cp1252"))


def test_a_submissions_file_in_windows_1258_is_read(cli, tmp_path):
    cli("units", "import", str(EXAMPLES / "units.csv"))
    cli("--now", "2021-03-01T09:00", "plan", "import", str(EXAMPLES / "hn-2021-43.yaml"))
    path = tmp_path / "da-nhan.csv"
    path.write_bytes(to_cp1258("unit,obligation,period,at,note\nsyt,bao-cao-6-thang,2021,2021-05-28 10:00,"
                               "Công văn số 12 của Sở Y tế\n"))
    result = cli("--now", "2021-06-04T09:00", "submit", "--from", str(path))
    assert result.exit_code == 0, result.err
    assert result.err == f"{path}: read as Windows-1258 (cp1258), detected from its Vietnamese text\n"
    assert result.out.splitlines()[-1] == f"{path}: 1 submissions recorded"


def test_a_plan_file_saved_by_notepad_in_utf16_or_windows_1258_is_read(cli, tmp_path):
    text = (EXAMPLES / "hn-2021-43.yaml").read_text(encoding="utf-8")
    cli("units", "import", str(EXAMPLES / "units.csv"))
    utf16 = tmp_path / "utf16.yaml"
    utf16.write_bytes(text.encode("utf-16"))  # Notepad's "Unicode": little-endian with a BOM
    result = cli("--now", "2021-03-01T09:00", "plan", "import", str(utf16))
    assert (result.exit_code, result.err) == (0, f"{utf16}: read as UTF-16 LE (byte-order mark)\n")
    ansi = tmp_path / "ansi.yaml"
    ansi.write_bytes(to_cp1258(text))
    result = cli("--now", "2021-03-01T09:00", "plan", "import", str(ansi))
    assert (result.exit_code, result.err) == (
        0, f"{ansi}: read as Windows-1258 (cp1258), detected from its Vietnamese text\n")
    assert result.out == f"{ansi}: 0 plans created, 0 updated, 1 unchanged\n"  # the same text as the UTF-16 file


def test_an_xlsx_workbook_is_read(cli, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    for row in ROWS:
        book.active.append(list(row))
    path = tmp_path / "don-vi.xlsx"
    book.save(path)
    assert cli("units", "import", str(path)).exit_code == 0
    assert names(cli)["bv-01"] == "Bệnh viện Đa khoa tỉnh"


def zip_with(*names: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name in names:
            z.writestr(name, "<x/>")
    return buffer.getvalue()


OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504


def test_a_word_document_given_as_a_table_is_named_by_its_content(cli, tmp_path):
    path = tmp_path / "don-vi.csv"
    path.write_bytes(zip_with("word/document.xml"))
    result = cli("units", "import", str(path))
    assert (result.exit_code, result.out, result.err) == (
        1, "", f"error: {path} is a Word document, not a table: copy the table into Excel and save it as "
               ".xlsx or 'CSV UTF-8'\n")


def test_files_that_are_not_tables_are_named_as_such(cli, tmp_path):
    cases = {
        "a.pdf": (b"%PDF-1.7\n...", "is a PDF document, not a table: export the table from the original as "
                                    ".xlsx or 'CSV UTF-8'"),
        "b.xls": (OLE2 + "Workbook".encode("utf-16-le"), "is an Excel workbook (.xls): open it in Excel and save "
                                                         "it as .xlsx"),
        "c.doc": (OLE2 + "WordDocument".encode("utf-16-le"), "is a Word document (.doc), not a table: copy the "
                                                             "table into Excel and save it as .xlsx or 'CSV UTF-8'"),
        "d.zip": (zip_with("don-vi.csv"), "is a zip archive: unpack it and give the .csv or .xlsx inside"),
    }
    for name, (data, message) in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        result = cli("units", "import", str(path))
        assert (result.exit_code, result.out, result.err) == (1, "", f"error: {path} {message}\n"), name


def test_a_workbook_saved_under_a_csv_name_is_read_as_the_workbook_it_is(cli, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    for row in ROWS:
        book.active.append(list(row))
    path = tmp_path / "don-vi.csv"
    book.save(path)
    assert cli("units", "import", str(path)).exit_code == 0
    assert names(cli)["bv-01"] == "Bệnh viện Đa khoa tỉnh"


def test_plan_import_of_a_word_pdf_excel_or_zip_file_says_what_it_is_and_what_to_do(cli, tmp_path):
    from openpyxl import Workbook

    book = tmp_path / "ke-hoach.xlsx"
    Workbook().save(book)
    cases = {
        "x.docx": (zip_with("word/document.xml"), "x.docx is a Word document; run `tracker plan extract x.docx` "
                                                  "to draft a plan file"),
        # Named .yaml, but a Word document by its content.
        "ke-hoach.yaml": (zip_with("word/document.xml"), "ke-hoach.yaml is a Word document; run `tracker plan "
                                                         "extract ke-hoach.yaml` to draft a plan file"),
        "x.doc": (OLE2 + "WordDocument".encode("utf-16-le"), "x.doc is a Word document (.doc); run `tracker plan "
                                                             "extract x.doc` to draft a plan file"),
        "x.pdf": (b"%PDF-1.4\n", "x.pdf is a PDF document; run `tracker plan extract x.pdf` to draft a plan file"),
        "ke-hoach.xlsx": (book.read_bytes(), "ke-hoach.xlsx is an Excel workbook, not a plan file (YAML, see "
                                             "docs/plan-file.md); a table of units is imported with `tracker units "
                                             "import ke-hoach.xlsx`"),
        "x.zip": (zip_with("ke-hoach.yaml"), "x.zip is a zip archive; unpack it and import the plan file (.yaml) "
                                             "inside"),
    }
    for name, (data, message) in cases.items():
        (tmp_path / name).write_bytes(data)
        result = cli("plan", "import", name)  # the cli runs in tmp_path
        assert (result.exit_code, result.out, result.err) == (1, "", f"error: {message}\n"), name
    assert cli("plan", "list", "--json").out.strip() == "[]"


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
