"""The application as PDF and Word, in Chinese and English: rendered page by page with
pdftoppm and read back with pdftotext, and the .docx read back with python-docx. Everything the
borrower gave is in it, nothing they left empty is, and the instalments add up."""

from __future__ import annotations

import io
import shutil
import subprocess
from zoneinfo import ZoneInfo

import docx
import pytest
from PIL import Image

from logger.hardship.application import current_plan, get_application, save_plan
from logger.hardship.letter import draft
from logger.hardship.pdf import letter_pdf
from logger.hardship.proofs import list_proofs
from logger.hardship.word import letter_docx
from storage.models.hardship import PlanKind
from tests.hardship.conftest import TODAY

pytestmark = pytest.mark.skipif(shutil.which("pdftoppm") is None,
                                reason="pdftoppm is missing: run tools/system-packages.sh")
ZONE = ZoneInfo("Asia/Shanghai")
EXPECTED = {
    "zh": ["个人减免申请书", "收件人", "信用飞", "某某催收", "XYF-2026-001", "人民币 20,000.00 元",
           "自2026年8月1日起，本人因失业", "公司裁员", "月收入为人民币 6,000.00 元（来源：工资）",
           "需要抚养（赡养）2人", "减免逾期产生的罚息和违约金", "分13期按月偿还",
           "2027年1月31日", "2028年1月31日", "人民币 1,538.36 元", "合计",
           "失业证明或解除劳动合同通知：termination.pdf（2026年8月5日）", "银行流水：bank.pdf",
           "以书面形式", "此致", "申请人（签名）：张三", "日期：2026年12月2日"],
    "en": ["Hardship application", "Dear 信用飞,", "XYF-2026-001", "CNY 20,000.00",
           "Since August 1, 2026 I have been unable to repay as agreed because of the loss of "
           "my job.", "My monthly income is CNY 6,000.00 (工资).", "People I support: 2.",
           "waive the penalty interest and late fees", "13 monthly instalments of CNY 1,538.47",
           "January 31, 2027", "January 31, 2028", "CNY 1,538.36",
           "Termination or unemployment letter: termination.pdf (August 5, 2026)",
           "Bank statement: bank.pdf", "confirm it in writing", "Applicant (signature): 张三",
           "Date: December 2, 2026"],
}


def letter_of(session, case, language: str):
    application = get_application(session, case)
    return draft(application, case, plan=current_plan(application, case),
                 proofs=list_proofs(session, case), language=language, today=TODAY, tz=ZONE)


def pages_of(pdf: bytes, tmp_path, name: str) -> tuple[list[str], list]:
    source = tmp_path / f"{name}.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(source), str(tmp_path / name)],
                   check=True, capture_output=True, timeout=120)
    images = sorted(tmp_path.glob(f"{name}-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
    texts = []
    for number in range(1, len(images) + 1):
        texts.append(subprocess.run(
            ["pdftotext", "-layout", "-f", str(number), "-l", str(number), str(source), "-"],
            check=True, capture_output=True, timeout=60).stdout.decode())
    return texts, images


def ink(png) -> float:
    histogram = Image.open(png).convert("L").histogram()
    return sum(histogram[:200]) / sum(histogram)


def flat(text: str) -> str:
    return "".join(text.split())


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_pdf_says_everything_given_page_by_page(session, case, filled, tmp_path, language):
    texts, images = pages_of(letter_pdf(letter_of(session, case, language)), tmp_path, language)
    assert len(texts) == len(images) >= 2  # 13 dated instalments do not fit on one page
    whole = flat("".join(texts))
    for expected in EXPECTED[language]:
        assert flat(expected) in whole, expected
    page = "第 %s 页" if language == "zh" else "Page %s"
    for number, (text, image) in enumerate(zip(texts, images, strict=True), start=1):
        assert flat(page % number) in flat(text)
        assert ink(image) > 0.005, f"page {number} is blank"
    assert flat(EXPECTED[language][0]) in flat(texts[0])  # the title opens the letter
    assert "unknown" not in whole.lower() and "None" not in whole


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_word_file_reads_back_with_the_same_words(session, case, filled, language):
    document = docx.Document(io.BytesIO(letter_docx(letter_of(session, case, language))))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    whole = flat("\n".join([p.text for p in document.paragraphs] + cells))
    for expected in EXPECTED[language]:
        assert flat(expected) in whole, expected
    schedule = document.tables[-1]
    assert len(schedule.rows) == 1 + 13 + 1  # header, instalments, total
    assert schedule.rows[-1].cells[-1].text.endswith("20,000.00" if language == "en"
                                                     else "20,000.00 元")
    assert document.core_properties.title == EXPECTED[language][0]


def test_fields_left_empty_are_left_out_not_written_as_unknown(session, case, filled):
    application = get_application(session, case)
    application.income_source = application.hardship_since = application.dependants = None
    application.applicant_name = None
    save_plan(session, application, case, kind=PlanKind.instalments, start_date=None)
    letter = letter_of(session, case, "en")
    text = flat(" ".join([p for s in letter.sections for p in s.paragraphs + s.numbered]
                         + letter.closing + [c for s in letter.sections for r in s.table
                                             for c in r]))
    assert flat("My monthly income is CNY 6,000.00.") in text  # no "()" for the source
    assert flat("because of the loss of my job") in text and "Since" not in text
    assert "support" not in text and "Due date" not in text and "2027" not in text
    assert letter.closing[-2] == "Applicant (signature):"


def test_a_pause_and_a_settlement_have_no_instalment_table(session, case, filled):
    application = get_application(session, case)
    save_plan(session, application, case, kind=PlanKind.pause, pause_months=3)
    plan = letter_of(session, case, "zh").sections[2]
    assert not plan.table and "暂停还款3个月" in plan.paragraphs[0]
    from decimal import Decimal
    save_plan(session, application, case, kind=PlanKind.settlement,
              settlement_percent=Decimal("60"))
    plan = letter_of(session, case, "en").sections[2]
    assert "CNY 12,000.00 at once (60% of the outstanding CNY 20,000.00)" in plan.paragraphs[0]
