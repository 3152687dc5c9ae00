"""Reading plan documents as offices send them: .docx and .pdf into the extractor's text.

The documents are generated here (python-docx; fpdf2 with the DejaVu font for a
PDF text layer), so every case shows the layout it is about.
"""

from __future__ import annotations

import io
from pathlib import Path

import docx
import pytest
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from fpdf import FPDF

from bench.make_documents import FONT_DIR, write_docx, write_pdf
from tracker.extract import extract_plan
from tracker.extract.documents import DocumentError, read_document
from tracker.extract.documents.legacy import LegacyEncoding, legacy_encoding

EVAL = Path(__file__).resolve().parent / "fixtures" / "extract" / "eval"
EVAL_PLANS = sorted(EVAL.glob("*.txt"))


def _docx_bytes(document: docx.document.Document) -> bytes:
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def _pdf() -> FPDF:
    pdf = FPDF(format="A4")
    pdf.add_font("dejavu", fname=str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font("dejavu", style="B", fname=str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.set_font("dejavu", size=11)
    pdf.add_page()
    return pdf


def _obligations(draft: dict) -> set[tuple]:
    out = set()
    for o in draft["obligations"]:
        resp = o["responsible"]
        out.add((o["kind"], o.get("due"), o.get("start"), o.get("end"), o.get("date"), o["title"],
                 tuple(resp) if isinstance(resp, list) else resp, o.get("report_to")))
    return out


# -- the same plan as text, .docx and .pdf ------------------------------------------------

@pytest.mark.parametrize("plan", EVAL_PLANS, ids=lambda p: p.stem)
@pytest.mark.parametrize("fmt", ["docx", "pdf"])
def test_a_plan_as_docx_or_pdf_drafts_the_same_obligations_and_units_as_its_text(tmp_path, plan, fmt):
    text = plan.read_text(encoding="utf-8")
    path = tmp_path / f"plan.{fmt}"
    (write_docx if fmt == "docx" else write_pdf)(text, path)
    from_text = extract_plan(text)
    from_file = extract_plan(read_document(path.read_bytes()).text)
    assert _obligations(from_file) == _obligations(from_text)
    assert [u["name"] for u in from_file["units"]] == [u["name"] for u in from_text["units"]]


# -- Word --------------------------------------------------------------------------------

def test_word_automatic_numbers_are_written_before_the_paragraph_text():
    d = docx.Document()
    d.add_paragraph("TỔ CHỨC THỰC HIỆN")
    d.add_paragraph("Sở Y tế chủ trì thực hiện.", style="List Number")
    d.add_paragraph("Sở Tài chính bố trí kinh phí.", style="List Number")
    d.add_paragraph("Báo cáo trước ngày 15/6/2024.", style="List Bullet")
    assert read_document(_docx_bytes(d)).text == (
        "TỔ CHỨC THỰC HIỆN\n1. Sở Y tế chủ trì thực hiện.\n2. Sở Tài chính bố trí kinh phí.\n"
        "- Báo cáo trước ngày 15/6/2024.\n")


def test_a_word_task_table_becomes_pipe_rows_in_document_order():
    d = docx.Document()
    d.add_paragraph("II. NHIỆM VỤ")
    t = d.add_table(rows=3, cols=3)
    for r, row in enumerate([["Nội dung", "Đơn vị chủ trì", "Thời hạn"],
                             ["Báo cáo quý I", "Sở Y tế", "15/3/2024"],
                             ["Báo cáo | năm", "Sở Nội vụ", "10/12/2024"]]):
        for c, value in enumerate(row):
            t.cell(r, c).text = value
    d.add_paragraph("III. TỔ CHỨC THỰC HIỆN")
    assert read_document(_docx_bytes(d)).text == (
        "II. NHIỆM VỤ\n"
        "| Nội dung | Đơn vị chủ trì | Thời hạn |\n| Báo cáo quý I | Sở Y tế | 15/3/2024 |\n"
        "| Báo cáo / năm | Sở Nội vụ | 10/12/2024 |\n"
        "III. TỔ CHỨC THỰC HIỆN\n")


def test_a_lead_unit_merged_down_rows_belongs_to_every_row_and_a_row_wide_heading_is_written_once():
    d = docx.Document()
    t = d.add_table(rows=4, cols=3)
    for r, row in enumerate([["Nội dung", "Đơn vị chủ trì", "Thời hạn"],
                             ["Báo cáo quý I", "Sở Y tế", "15/3/2024"],
                             ["Báo cáo quý II", "", "15/6/2024"]]):
        for c, value in enumerate(row):
            t.cell(r, c).text = value
    t.cell(1, 1).merge(t.cell(2, 1))
    heading = t.cell(3, 0).merge(t.cell(3, 2))
    heading.text = "II. Hoạt động khác"
    assert read_document(_docx_bytes(d)).text == (
        "| Nội dung | Đơn vị chủ trì | Thời hạn |\n| Báo cáo quý I | Sở Y tế | 15/3/2024 |\n"
        "| Báo cáo quý II | Sở Y tế | 15/6/2024 |\n| II. Hoạt động khác |  |  |\n")


def test_a_two_row_header_with_a_spanning_cell_is_joined_into_one_header_row():
    d = docx.Document()
    t = d.add_table(rows=3, cols=3)
    t.cell(0, 0).text = "Nội dung"
    t.cell(0, 0).merge(t.cell(1, 0))
    top = t.cell(0, 1).merge(t.cell(0, 2))
    top.text = "Thời gian"
    t.cell(1, 1).text, t.cell(1, 2).text = "Bắt đầu", "Kết thúc"
    for c, value in enumerate(["Tháng hành động", "15/11/2024", "15/12/2024"]):
        t.cell(2, c).text = value
    assert read_document(_docx_bytes(d)).text == (
        "| Nội dung | Thời gian Bắt đầu | Thời gian Kết thúc |\n| Tháng hành động | 15/11/2024 | 15/12/2024 |\n")


def test_a_letterhead_table_becomes_plain_paragraphs_the_header_parser_reads():
    d = docx.Document()
    t = d.add_table(rows=2, cols=2)
    t.cell(0, 0).text = "ỦY BAN NHÂN DÂN\nHUYỆN THANH SƠN"
    t.cell(0, 1).text = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    t.cell(1, 0).text = "Số: 27/KH-UBND"
    t.cell(1, 1).text = "Thanh Sơn, ngày 20 tháng 01 năm 2025"
    d.add_paragraph("KẾ HOẠCH")
    text = read_document(_docx_bytes(d)).text
    assert text == ("ỦY BAN NHÂN DÂN\nHUYỆN THANH SƠN\nCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nSố: 27/KH-UBND\n"
                    "Thanh Sơn, ngày 20 tháng 01 năm 2025\nKẾ HOẠCH\n")
    plan = extract_plan(text)["plan"]
    assert (plan["number"], plan["issued_on"]) == ("27/KH-UBND", "2025-01-20")


def test_deleted_text_of_tracked_changes_is_not_read():
    d = docx.Document()
    p = d.add_paragraph("Báo cáo trước ngày ")
    deleted = OxmlElement("w:del")
    run = OxmlElement("w:r")
    gone = OxmlElement("w:delText")
    gone.text = "10/6/2024"
    run.append(gone)
    deleted.append(run)
    p._p.append(deleted)
    p.add_run("15/6/2024.")
    assert read_document(_docx_bytes(d)).text == "Báo cáo trước ngày 15/6/2024.\n"


# -- PDF ---------------------------------------------------------------------------------

class _NumberedPages(FPDF):
    def footer(self) -> None:
        self.set_y(-15)
        self.cell(0, 5, str(self.page_no()), align="C")


def test_a_pdf_paragraph_wrapped_over_lines_and_pages_comes_out_on_one_line_without_page_numbers():
    pdf = _NumberedPages(format="A4")
    pdf.add_font("dejavu", fname=str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.set_font("dejavu", size=11)
    pdf.set_auto_page_break(True, margin=25)
    pdf.add_page()
    pdf.set_y(240)
    sentence = ("Các phòng, ban gửi báo cáo kết quả thực hiện công tác bình đẳng giới 6 tháng đầu năm về "
                "Phòng Lao động - Thương binh và Xã hội trước ngày 15/6/2024 để tổng hợp.")
    pdf.multi_cell(0, 6, " ".join([sentence] * 4), new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(0, 6, "Nơi nhận:")
    assert pdf.page_no() == 2
    assert read_document(pdf.output()).text == " ".join([sentence] * 4) + "\nNơi nhận:\n"


def test_a_ruled_pdf_table_becomes_pipe_rows_with_merged_cells_resolved():
    pdf = _pdf()
    pdf.multi_cell(0, 6, "II. NHIỆM VỤ")
    with pdf.table(line_height=6) as table:
        for values in (["Nội dung", "Đơn vị chủ trì", "Thời hạn"], ["Báo cáo quý I", "Sở Y tế", "15/3/2024"]):
            row = table.row()
            for v in values:
                row.cell(v)
        row = table.row()
        row.cell("Báo cáo quý II")
        row.cell("Sở Tài chính")
        row.cell("15/6/2024")
        table.row().cell("II. Hoạt động khác", colspan=3)
    assert read_document(pdf.output()).text == (
        "II. NHIỆM VỤ\n"
        "| Nội dung | Đơn vị chủ trì | Thời hạn |\n| Báo cáo quý I | Sở Y tế | 15/3/2024 |\n"
        "| Báo cáo quý II | Sở Tài chính | 15/6/2024 |\n| II. Hoạt động khác |  |  |\n")


def test_a_pdf_table_running_over_a_page_is_one_table_without_its_repeated_header():
    pdf = _pdf()
    pdf.set_y(200)
    with pdf.table(line_height=6, repeat_headings=1) as table:
        header = table.row()
        for v in ("Nội dung", "Đơn vị chủ trì", "Thời hạn"):
            header.cell(v)
        for i in range(1, 21):
            row = table.row()
            for v in (f"Báo cáo đợt {i}", "Sở Y tế", f"{i}/3/2024"):
                row.cell(v)
    assert pdf.page_no() == 2
    lines = read_document(pdf.output()).text.splitlines()
    assert lines[0] == "| Nội dung | Đơn vị chủ trì | Thời hạn |"
    assert lines[1:] == [f"| Báo cáo đợt {i} | Sở Y tế | {i}/3/2024 |" for i in range(1, 21)]


def test_a_row_cut_by_a_page_break_is_joined_to_the_row_it_continues():
    from tracker.extract.documents.blocks import Table
    from tracker.extract.documents.pdf import _continued

    first = Table((("STT", "Nội dung", "Thời hạn"), ("4", "Truyền thông về phòng, chống bạo", "28/6/2025")))
    rest = (("STT", "Nội dung", "Thời hạn"), ("", "lực gia đình", ""), ("5", "Rà soát số liệu", "30/9/2025"))
    assert _continued(first, rest).rows == (
        ("STT", "Nội dung", "Thời hạn"), ("4", "Truyền thông về phòng, chống bạo lực gia đình", "28/6/2025"),
        ("5", "Rà soát số liệu", "30/9/2025"))


def test_a_pdf_with_some_scanned_pages_says_which_pages_are_missing_from_the_draft():
    pdf = _pdf()
    pdf.multi_cell(0, 6, "Báo cáo 6 tháng gửi trước ngày 15/6/2024.")
    pdf.add_page()
    pdf.rect(20, 20, 100, 100, style="F")
    reading = read_document(pdf.output())
    assert reading.notes == ["line 1: page 2 of the PDF has no text layer (scanned); what is on it is not "
                             "in this draft"]


# -- text and its encodings ---------------------------------------------------------------

def test_utf16_text_as_notepad_saves_it_is_read():
    assert read_document("Kế hoạch số 12".encode("utf-16")).text == "Kế hoạch số 12"


TCVN3 = ("Uû ban nh©n d©n tØnh B¾c Ninh ban hµnh KÕ ho¹ch triÓn khai c«ng t¸c b×nh ®¼ng giíi n¨m 2024; "
         "c¸c së, ban, ngµnh göi b¸o c¸o tr­íc ngµy 15/6/2024.")
VNI = ("UÛy ban nhaân daân tænh Baéc Ninh ban haønh Keá hoaïch trieån khai coâng taùc bình ñaúng giôùi naêm "
       "2024; caùc sôû, ban, ngaønh göûi baùo caùo tröôùc ngaøy 15/6/2024.")


def test_tcvn3_and_vni_text_is_named_and_unicode_vietnamese_is_not():
    assert legacy_encoding(TCVN3) is LegacyEncoding.TCVN3
    assert legacy_encoding(VNI) is LegacyEncoding.VNI
    assert legacy_encoding(EVAL_PLANS[0].read_text(encoding="utf-8")) is None


def test_a_word_document_typed_in_tcvn3_is_refused_with_the_encoding_named():
    d = docx.Document()
    d.add_paragraph(TCVN3)
    with pytest.raises(DocumentError) as err:
        read_document(_docx_bytes(d))
    assert str(err.value) == ("the text is typed in the legacy Vietnamese encoding TCVN3 (ABC, .VnTime fonts), "
                              "not Unicode; convert it to Unicode (e.g. with Unikey's converter), save and try again")
