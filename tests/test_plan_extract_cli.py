"""`tracker plan extract`: every seed's draft imports once e-mails are filled in."""

import io
import json
import zipfile
from pathlib import Path

import pytest

from bench.make_documents import write_docx, write_pdf
from tests.conftest import SEEDS

SEED_FILES = sorted(SEEDS.glob("*.txt")) if SEEDS.exists() else []


@pytest.mark.skipif(not SEED_FILES, reason="../shared/seeds not present beside the repository")
@pytest.mark.parametrize("seed", SEED_FILES, ids=lambda p: p.stem)
def test_seed_draft_imports_after_filling_in_emails(cli, tmp_path, seed):
    draft = tmp_path / "draft.yaml"
    result = cli("plan", "extract", str(seed), "-o", str(draft))
    assert result.exit_code == 0, result.err
    assert result.out.startswith(f"{draft}: draft with ")
    refused = cli("plan", "import", str(draft))
    assert refused.exit_code == 1
    assert all("has no e-mail address: fill in its email" in line for line in refused.err.splitlines())
    filled = tmp_path / "filled.yaml"
    filled.write_text(draft.read_text(encoding="utf-8").replace("email: []", "email: [vanthu@example.vn]"),
                      encoding="utf-8")
    imported = cli("plan", "import", str(filled))
    assert imported.exit_code == 0, imported.err
    plans = json.loads(cli("plan", "list", "--json").out)
    assert len(plans) == 1 and plans[0]["obligations"] > 0


def test_extract_to_stdout_is_yaml(cli, tmp_path):
    doc = tmp_path / "kh.txt"
    doc.write_text("UBND QUẬN X\nSố: 12/KH-UBND\nX, ngày 5 tháng 1 năm 2024\nKẾ HOẠCH\nCông tác bình đẳng giới năm 2024\n"
                   "III. TỔ CHỨC THỰC HIỆN\n1. Phòng Nội vụ quận\n- Báo cáo 6 tháng gửi trước ngày 15/6/2024.\n",
                   encoding="utf-8")
    result = cli("plan", "extract", str(doc))
    assert result.exit_code == 0, result.err
    assert "due: \"2024-06-15\"" in result.out and "strict_before: true" in result.out


def test_extract_missing_document_is_one_line(cli):
    result = cli("plan", "extract", "khong-co.txt")
    assert (result.exit_code, result.err) == (1, "error: khong-co.txt: file not found\n")


# -- documents as they arrive: .docx, .pdf, .doc, and what cannot be drafted ------------------


PLAN = """ỦY BAN NHÂN DÂN
HUYỆN THANH SƠN
Số: 31/KH-UBND
Thanh Sơn, ngày 15 tháng 01 năm 2025

KẾ HOẠCH
Công tác bình đẳng giới năm 2025

III. TỔ CHỨC THỰC HIỆN
1. Phòng Lao động - Thương binh và Xã hội
Là cơ quan thường trực, tổng hợp báo cáo kết quả thực hiện gửi UBND huyện trước ngày 10/12/2025.
2. Phòng Y tế
Báo cáo 6 tháng gửi về Phòng Lao động - Thương binh và Xã hội trước ngày 15/6/2025.
3. Trung tâm Văn hóa huyện

| STT | Nội dung | Đơn vị chủ trì | Thời gian |
|---|---|---|---|
| 1 | Truyền thông Tháng hành động | Trung tâm Văn hóa huyện | 15/11 - 15/12/2025 |
"""
UNITS_CSV = """code,name,email,head_email,kind,parent
ts-pldtbxh,Phòng LĐTBXH huyện Thanh Sơn,ldtbxh@thanhson.example.vn,,department,
ts-pyt,Phòng Y tế huyện Thanh Sơn,yte@thanhson.example.vn,,department,
ts-ttvh,Trung tâm Văn hóa huyện Thanh Sơn,ttvh@thanhson.example.vn,,,
ts-ubnd,UBND huyện Thanh Sơn,ubnd@thanhson.example.vn,,,
"""


@pytest.mark.parametrize("fmt", ["docx", "pdf"])
def test_a_docx_or_pdf_plan_is_drafted_like_its_text(cli, tmp_path, fmt):
    (tmp_path / "plan.txt").write_text(PLAN, encoding="utf-8")
    (write_docx if fmt == "docx" else write_pdf)(PLAN, tmp_path / f"plan.{fmt}")
    assert cli("plan", "extract", "plan.txt", "-o", "from-text.yaml").exit_code == 0
    result = cli("plan", "extract", f"plan.{fmt}", "-o", "draft.yaml")
    assert (result.exit_code, result.out) == (0, "draft.yaml: draft with 3 obligations, 4 units, 2 points to review\n")
    due = [line for line in (tmp_path / "draft.yaml").read_text(encoding="utf-8").splitlines()
           if line.strip().startswith(("due:", "start:", "end:", "responsible:"))]
    assert due == [line for line in (tmp_path / "from-text.yaml").read_text(encoding="utf-8").splitlines()
                   if line.strip().startswith(("due:", "start:", "end:", "responsible:"))]


def test_with_a_unit_file_the_draft_imports_without_editing(cli, tmp_path):
    write_docx(PLAN, tmp_path / "plan.docx")
    (tmp_path / "units.csv").write_text(UNITS_CSV, encoding="utf-8")
    result = cli("plan", "extract", "plan.docx", "--units", "units.csv", "-o", "draft.yaml")
    assert (result.exit_code, result.err) == (0, "")
    draft = (tmp_path / "draft.yaml").read_text(encoding="utf-8")
    assert "email: []" not in draft
    assert '  - "line 1: 4 of 4 units matched to units.csv (codes and e-mail addresses filled in)"' in draft
    assert "coordinator: ts-pldtbxh" in draft
    imported = cli("plan", "import", "draft.yaml")
    assert imported.exit_code == 0, imported.err


def test_a_unit_file_saved_by_excel_as_unicode_text_or_xlsx_is_read_for_matching(cli, tmp_path):
    from openpyxl import Workbook

    write_docx(PLAN, tmp_path / "plan.docx")
    rows = [line.split(",") for line in UNITS_CSV.strip().splitlines()]
    (tmp_path / "units.txt").write_bytes("\r\n".join("\t".join(r) for r in rows).encode("utf-16"))
    book = Workbook()
    for row in rows:
        book.active.append(row)
    book.save(tmp_path / "units.xlsx")
    for name in ("units.txt", "units.xlsx"):
        result = cli("plan", "extract", "plan.docx", "--units", name, "-o", "draft.yaml")
        assert (result.exit_code, result.err) == (0, ""), name
        assert f"4 of 4 units matched to {name}" in (tmp_path / "draft.yaml").read_text(encoding="utf-8")


def test_without_a_unit_file_the_stores_units_are_matched(cli, tmp_path):
    (tmp_path / "plan.txt").write_text(PLAN, encoding="utf-8")
    (tmp_path / "units.csv").write_text(UNITS_CSV, encoding="utf-8")
    assert cli("units", "import", "units.csv").exit_code == 0
    result = cli("plan", "extract", "plan.txt")
    assert result.exit_code == 0
    assert '  - "line 1: 4 of 4 units matched to the store (codes and e-mail addresses filled in)"' in result.out


def test_without_a_store_no_database_file_is_created_for_a_draft(cli, tmp_path):
    (tmp_path / "plan.txt").write_text(PLAN, encoding="utf-8")
    result = cli("plan", "extract", "plan.txt", db=f"sqlite:///{tmp_path / 'absent.db'}")
    assert result.exit_code == 0
    assert not (tmp_path / "absent.db").exists()
    assert "matched to" not in result.out


def _zip(names: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in names.items():
            z.writestr(name, data)
    return buf.getvalue()


_LOCKED = "password"
BAD_INPUTS = {
    "empty.docx": (lambda p: p.write_bytes(b""), "empty file: there is no text to draft from"),
    "blank.txt": (lambda p: p.write_text("\n  \n", encoding="utf-8"), "empty file: there is no text to draft from"),
    "zip.docx": (lambda p: p.write_bytes(_zip({"ke-hoach.txt": "Kế hoạch"})),
                 "a zip archive, not a Word document (it has no word/document.xml); save the plan as .docx or .pdf"),
    "bang.docx": (lambda p: p.write_bytes(_zip({"xl/workbook.xml": "<workbook/>"})),
                  "an Excel workbook, not a Word document (it has no word/document.xml); save the plan as .docx or .pdf"),
    "scan.pdf": (lambda p: _scan(p), "the PDF has no text layer (a scanned image, 1 page); run OCR on it or ask "
                                     "for the .docx"),
    "locked.pdf": (lambda p: write_pdf(PLAN, p, password=_LOCKED),
                   "the PDF is password-protected; ask for an unprotected copy or the .docx"),
    "huge.pdf": (lambda p: _huge(p), "the file is 50.0 MB, over the 20 MB limit for a plan document; give the text "
                                     "of the plan (.docx, .pdf or .txt)"),
    "anh.docx": (lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64)),
                 "a PNG image, not a plan document; give a .docx, .pdf or .txt file"),
    "tcvn3.txt": (lambda p: p.write_bytes("KÕ ho¹ch triÓn khai c«ng t¸c b×nh ®¼ng giíi n¨m 2024 cña Uû ban "
                                         "nh©n d©n tØnh; c¸c së göi b¸o c¸o.".encode("latin-1")),
                  "the text is typed in the legacy Vietnamese encoding TCVN3 (ABC, .VnTime fonts), not Unicode; "
                  "convert it to Unicode (e.g. with Unikey's converter), save and try again"),
}


def _scan(path):
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 150, 200, style="F")
    pdf.output(str(path))


def _huge(path):
    with open(path, "wb") as fh:
        fh.write(b"%PDF-1.7\n")
        fh.truncate(50 * 1024 * 1024)  # sparse: the size is what counts, it is never read


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_a_document_that_cannot_be_drafted_is_one_line_exit_1_and_nothing_written(cli, tmp_path, name):
    make, message = BAD_INPUTS[name]
    make(tmp_path / name)
    result = cli("plan", "extract", name, "-o", "draft.yaml")
    assert (result.exit_code, result.out, result.err) == (1, "", f"error: {name}: {message}\n")
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(("draft", ".draft"))) == []


OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)


def test_a_doc_file_without_libreoffice_says_to_save_it_as_docx(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    (tmp_path / "ke-hoach.doc").write_bytes(OLE2)
    result = cli("plan", "extract", "ke-hoach.doc", "-o", "draft.yaml")
    assert (result.exit_code, result.err) == (1, "error: ke-hoach.doc: a legacy Word .doc file and LibreOffice is "
                                                 "not installed to convert it; open it in Word and save it as .docx\n")
    assert not (tmp_path / "draft.yaml").exists()


def test_a_doc_file_is_converted_by_libreoffice_when_it_is_installed(cli, tmp_path, monkeypatch):
    # A stand-in soffice with LibreOffice's command line: writes OUTDIR/in.docx.
    bindir = tmp_path / "bin"
    bindir.mkdir()
    write_docx(PLAN, tmp_path / "converted.docx")
    script = bindir / "soffice"
    script.write_text("#!/bin/sh\n"
                      "while [ $# -gt 1 ]; do [ \"$1\" = --outdir ] && out=$2; shift; done\n"
                      f"cp '{tmp_path / 'converted.docx'}' \"$out/in.docx\"\n", encoding="utf-8")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}:/usr/bin:/bin")
    (tmp_path / "ke-hoach.doc").write_bytes(OLE2)
    result = cli("plan", "extract", "ke-hoach.doc", "-o", "draft.yaml")
    assert (result.exit_code, result.out) == (0, "draft.yaml: draft with 3 obligations, 4 units, 2 points to review\n")


def test_the_readmes_docx_and_pdf_examples_draft_as_it_says(cli, tmp_path):
    examples = Path(__file__).resolve().parent.parent / "examples"
    docx_ = cli("plan", "extract", str(examples / "ke-hoach-thanh-son-2025.docx"),
                "--units", str(examples / "thanh-son-units.csv"), "-o", "ts.yaml")
    assert (docx_.exit_code, docx_.out) == (0, "ts.yaml: draft with 8 obligations, 7 units, 7 points to review\n")
    pdf = cli("plan", "extract", str(examples / "ke-hoach-so-y-te-2024.pdf"), "-o", "syt.yaml")
    assert (pdf.exit_code, pdf.out) == (0, "syt.yaml: draft with 15 obligations, 8 units, 5 points to review\n")
