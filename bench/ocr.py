"""OCR figures: model load time, and seconds per image for each test screenshot of
shared/testdata/images, a generated 1080x2340 phone screenshot of a chat, and a generated A4 page
of Chinese text at 150 dpi (with its character error rate).

    .venv/bin/python bench/ocr.py [--repeat 3]

Each image is read once to warm up, then `--repeat` times; the median and the fastest run are
printed (on a shared machine the fastest is closest to the cost alone). The models load in this
process, so run it alone for a clean load time."""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMAGES = ROOT.parent / "shared" / "testdata" / "images"
sys.path.insert(0, str(ROOT))


from tests.support.chat_images import Message, Stamp, a4_page, conversation, screenshot  # noqa: E402

LETTER = [
    "关于逾期还款的协商申请",
    "尊敬的信用飞客户服务中心：",
    "本人张三，于二零二五年三月在贵平台借款人民币三万元，约定分十二期还款。自二零二六年八月起，"
    "本人因公司裁员失去工作，收入中断，无法按期足额还款，至今已逾期九十天。本人并非恶意拖欠，"
    "现特向贵司提出协商还款申请。",
    "一、请求停止计收罚息及违约金，并减免已产生的罚息；二、请求将剩余本金分二十四期偿还，每期还款"
    "约一千二百五十元；三、请求在协商期间暂停催收，不再联系本人的亲友及同事。",
    "本人承诺在收到书面同意后按新的还款计划按时还款。随信附上失业证明、银行流水及医疗费用单据复印件，"
    "请贵司审核。如对上述方案有异议，请以书面形式回复至本人的邮寄地址。",
    "此致敬礼",
    "申请人：张三",
]
CHAT = [
    Stamp("昨天 21:47"),
    Message("them", "您好，我是信用飞的客服，您的账单已经逾期十五天了，请问今天能还款吗？"),
    Message("me", "我最近失业了，这个月实在还不上"),
    Message("me", "能不能申请分期还款？"),
    Stamp("星期一 09:15"),
    Message("them", "可以帮您申请减免罚息，但需要您先还最低还款额"),
    Message("me", "好的"),
    Stamp("下午9:47"),
    Message("them", "请在11月25日前还款2000元，逾期将影响您的征信记录"),
    Message("me", "我会尽量筹钱，能否宽限到月底？"),
    Message("them", "月底前请务必还款，否则无法继续为您申请减免"),
]


def seconds(engine, image, repeat: int) -> str:
    """"median s (fastest s)" of `repeat` reads after a warm-up read."""
    engine.read(image)
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        engine.read(image)
        runs.append(time.perf_counter() - start)
    return f"{statistics.median(runs):6.2f} s ({min(runs):.2f} s)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    repeat = parser.parse_args().repeat

    start = time.perf_counter()
    from transcription.chinese import cer
    from transcription.ocr.reader import OcrEngine, decode_image
    engine = OcrEngine()
    engine.load()
    print(f"model load (import + PP-OCRv6 small det/rec + cls): "
          f"{time.perf_counter() - start:.2f} s")

    for path in sorted(IMAGES.glob("*.[jp][pn]g")):
        image = decode_image(path.read_bytes())
        print(f"{path.name:50} {image.width:>5}x{image.height:<5} "
              f"{seconds(engine, image, repeat)}")

    canvas, _ = conversation(CHAT)
    phone = screenshot(canvas, 0)
    print(f"{'generated chat screenshot':50} {phone.width:>5}x{phone.height:<5} "
          f"{seconds(engine, phone, repeat)}")

    page = a4_page(LETTER * 4)
    read = "".join(line.text for line in engine.read(page))
    written = "".join(LETTER * 4)[:len(read) + 20]
    print(f"{'generated A4 page, 150 dpi':50} {page.width:>5}x{page.height:<5} "
          f"{seconds(engine, page, repeat)}  CER {cer(written, read):.3f}")


if __name__ == "__main__":
    main()
