"""`tracker plan extract`: every seed's draft imports once e-mails are filled in."""

import json

import pytest

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
