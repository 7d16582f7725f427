"""The same receipt content through python-escpos' Dummy printer with its default settings
(QR as an image, as `qr()` does by default). Reads the slip as JSON on stdin, prints the
number of bytes python-escpos produces.

Run by `cargo bench --bench receipt_bytes`, which installs python-escpos from PyPI into
target/bench-python first.
"""

import json
import sys

from escpos.printer import Dummy


def main() -> None:
    slip = json.load(sys.stdin)
    printer = Dummy()
    for line in slip["lines"]:
        if "qr" in line:
            printer.set(align="center")
            printer.qr(line["qr"])
            continue
        printer.set(
            align=line["align"],
            bold=line["bold"],
            double_height=line["double"],
            double_width=line["double"],
        )
        printer.text(line["text"] + "\n")
    printer.set(align="left", bold=False, double_height=False, double_width=False)
    printer.cut()
    print(len(printer.output))


if __name__ == "__main__":
    main()
