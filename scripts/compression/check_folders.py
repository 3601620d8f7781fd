#!/usr/bin/env python3
"""Checks generated backend-test folders: onnx.checker (full check) passes on model.onnx, ONNX
Runtime runs it on test_data_set_0/input_<i>.pb, and gives exactly the stored output_<i>.pb.

usage: check_folders.py DIR...   (a DIR holding model.onnx, or a folder of such folders)

Prints one line per folder and "N passed, N failed"; exit status 1 if any failed.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
import common  # noqa: E402


def folders(paths):
    for path in paths:
        if os.path.exists(os.path.join(path, "model.onnx")):
            yield path
        else:
            for name in sorted(os.listdir(path)):
                if os.path.exists(os.path.join(path, name, "model.onnx")):
                    yield os.path.join(path, name)


def main(paths):
    if not paths:
        sys.stderr.write(__doc__)
        return 2
    passed = failed = 0
    for folder in folders(paths):
        try:
            common.verify_folder(folder)
            print("PASS %s (%.0f KB)" % (folder, common.folder_bytes(folder) / 1024))
            passed += 1
        except Exception as e:  # report every folder, whatever went wrong with one
            print("FAIL %s: %s" % (folder, str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__))
            failed += 1
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
