"""The printer config: errors that name the key, defaults, and python-escpos's database kept."""
import os
import subprocess
import sys

import pytest

from shared.config import validate_printer_config


@pytest.mark.parametrize(
    "raw, key",
    [
        ("printer", "printer:"),
        ({"colour": "red"}, "printer.colour:"),
        ({"kind": "laser"}, "printer.kind:"),
        ({"profile": "TM-NOPE"}, "printer.profile:"),
        ({"profile": "TM-U220"}, "printer.profile:"),  # impact printer, no raster images
        ({"width_px": 600}, "printer.width_px:"),
        ({"width_px": "576"}, "printer.width_px:"),
        ({"profile": "TM-T88V", "width_px": 576}, "printer.width_px:"),  # head is 512 dots
        ({"image_impl": "bitImageColumn"}, "printer.image_impl:"),
        ({"kind": "network"}, "printer.host:"),
        ({"kind": "network", "host": "  "}, "printer.host:"),
        ({"kind": "network", "host": "10.0.0.9", "port": 0}, "printer.port:"),
        ({"port": 70000}, "printer.port:"),
        ({"port": "abc"}, "printer.port:"),
        ({"port": True}, "printer.port:"),
        ({"kind": "usb", "usb_product_id": "0x0202"}, "printer.usb_vendor_id:"),
        ({"kind": "usb", "usb_vendor_id": "0x04b8"}, "printer.usb_product_id:"),
        ({"usb_vendor_id": "epson"}, "printer.usb_vendor_id:"),
        ({"usb_product_id": 0x10000}, "printer.usb_product_id:"),
        ({"usb_out_ep": "0x1ff"}, "printer.usb_out_ep:"),
        ({"kind": "serial"}, "printer.serial_device:"),
        ({"baudrate": 12}, "printer.baudrate:"),
        ({"kind": "file"}, "printer.device:"),
        ({"timeout_s": 0}, "printer.timeout_s:"),
        ({"timeout_s": "3"}, "printer.timeout_s:"),
        ({"footer": 5}, "printer.footer:"),
    ],
)
def test_config_errors_name_the_key(raw, key):
    with pytest.raises(ValueError) as err:
        validate_printer_config(raw)
    assert str(err.value).startswith(key), str(err.value)


def test_config_defaults():
    cfg = validate_printer_config(None)
    assert cfg == validate_printer_config({})
    assert cfg["kind"] == "none" and cfg["profile"] == "default"
    assert cfg["width_px"] == 576 and cfg["port"] == 9100 and cfg["timeout_s"] == 3.0
    assert cfg["image_impl"] == "bitImageRaster" and cfg["baudrate"] == 9600 and cfg["footer"] == ""
    assert validate_printer_config(cfg) == cfg  # validated config passes again unchanged


@pytest.mark.parametrize(
    "profile, width", [("POS-5890", 384), ("TM-T88V", 512), ("TM-T20II", 576), ("RP-F10-58mm", 384)]
)
def test_width_defaults_to_the_profile(profile, width):
    assert validate_printer_config({"profile": profile})["width_px"] == width


@pytest.mark.parametrize("value", ["0x04b8", "0X04B8", "04b8", " 4b8 ", 0x04B8])
def test_usb_ids_hex_strings(value):
    cfg = validate_printer_config({"kind": "usb", "usb_vendor_id": value, "usb_product_id": "0202"})
    assert cfg["usb_vendor_id"] == 0x04B8 and cfg["usb_product_id"] == 0x0202


def test_the_printer_database_is_parsed_once_and_kept_in_the_users_cache(tmp_path):
    """python-escpos would parse its YAML database in every process and leave a pickle in a
    new /tmp folder each time; the pickle now lives in the user's cache and is reused."""
    env = {k: v for k, v in os.environ.items() if k != "ESCPOS_CAPABILITIES_PICKLE_DIR"}
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    show = ("import os, shared.printer_profiles; "
            "print(os.environ['ESCPOS_CAPABILITIES_PICKLE_DIR'])")
    runs = [subprocess.run([sys.executable, "-c", show], env=env, capture_output=True, text=True,
                           check=True).stdout.strip() for _ in range(2)]
    folder = tmp_path / "cache" / "motcua" / "escpos"
    assert runs == [str(folder)] * 2
    pickles = list(folder.glob("*.capabilities.pickle"))
    assert len(pickles) == 1
    made = pickles[0].stat().st_mtime_ns
    subprocess.run([sys.executable, "-c", show], env=env, check=True, capture_output=True)
    assert pickles[0].stat().st_mtime_ns == made  # read, not written again
