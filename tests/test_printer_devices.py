"""Printer kinds and slips on fake devices (USB and serial through fake device objects)."""
import pytest
from escpos.printer import File, Network, Serial, Usb

from escpos_fakes import WIDTH, assert_job_is, make_slip
from shared import printer_devices
from shared.printer_devices import open_printer, print_test


class FakeUsbDevice:
    """Just enough of a pyusb device: a generic printer whose bulk OUT endpoint is 0x03."""

    backend = type("FakeBackend", (), {})()  # not libusb1: escpos skips kernel-driver checks

    def __init__(self):
        self.writes: list[tuple[int, bytes, int]] = []

    def set_configuration(self):
        pass

    def reset(self):
        pass

    def get_active_configuration(self):
        ep = lambda address, attributes: type(
            "Ep", (), {"bEndpointAddress": address, "bmAttributes": attributes}
        )()
        return {(0, 0): [ep(0x81, 0x02), ep(0x83, 0x03), ep(0x03, 0x02)]}  # bulk IN, interrupt IN, bulk OUT

    def write(self, endpoint, data, timeout):
        self.writes.append((endpoint, bytes(data), timeout))


def test_open_printer_kinds(tmp_path):
    net = open_printer({"kind": "network", "host": "printer.local", "port": 9101, "timeout_s": 2})
    assert isinstance(net, Network) and (net.host, net.port, net.timeout) == ("printer.local", 9101, 2.0)
    usb = open_printer({"kind": "usb", "usb_vendor_id": "0x0416", "usb_product_id": "0x5011", "timeout_s": 2})
    assert isinstance(usb, Usb) and usb.usb_args == {"idVendor": 0x0416, "idProduct": 0x5011}
    assert usb.timeout == 2000  # pyusb counts milliseconds
    ser = open_printer({"kind": "serial", "serial_device": "/dev/ttyUSB0", "baudrate": 19200})
    assert isinstance(ser, Serial) and ser.baudrate == 19200
    dev = open_printer({"kind": "file", "device": str(tmp_path / "lp0")})
    assert isinstance(dev, File)
    with pytest.raises(ValueError, match=r"^printer\.kind:"):
        open_printer({"kind": "none"})


def test_print_test_png_and_none(tmp_path):
    out = tmp_path / "sample.png"
    print_test({"width_px": 512}, str(out))
    from PIL import Image

    with Image.open(out) as img:
        assert img.width == 512 and img.height > 512
    with pytest.raises(ValueError, match=r"^printer\.kind:"):
        print_test({"kind": "none"}, None)


def test_usb_finds_bulk_endpoints_and_prints(monkeypatch):
    import usb.core as usb_core
    import usb.util

    device = FakeUsbDevice()
    wanted = []
    monkeypatch.setattr(usb_core, "find", lambda **match: wanted.append(match) or device)
    monkeypatch.setattr(usb.util, "dispose_resources", lambda dev: None)
    cfg = {
        "kind": "usb",
        "usb_vendor_id": "0416",
        "usb_product_id": "5011",
        "width_px": WIDTH,
        "timeout_s": 1.5,
    }
    slip = make_slip(5)
    printer_devices.print_slip(cfg, slip)
    assert wanted == [{"idVendor": 0x0416, "idProduct": 0x5011}]
    assert {(ep, timeout) for ep, _, timeout in device.writes} == {(0x03, 1500)}
    assert_job_is(b"".join(data for _, data, _ in device.writes), slip)


def test_serial_sets_write_timeout_and_prints(monkeypatch):
    import serial
    opened = []

    class FakeSerial:
        def __init__(self, **kwargs):
            self.kwargs, self.data, self.is_open, self.write_timeout = kwargs, b"", True, None
            opened.append(self)

        def write(self, data):
            assert self.write_timeout == 0.7, "write before the write timeout was set"
            self.data += data

        def flush(self):
            pass

        def close(self):
            self.is_open = False

    monkeypatch.setattr(serial, "Serial", FakeSerial)
    slip = make_slip(6)
    printer_devices.print_slip(
        {
            "kind": "serial",
            "serial_device": "/dev/ttyS0",
            "baudrate": 38400,
            "width_px": WIDTH,
            "timeout_s": 0.7,
        },
        slip,
    )
    (port,) = opened
    assert port.kwargs["port"] == "/dev/ttyS0" and port.kwargs["baudrate"] == 38400
    assert_job_is(port.data, slip)
