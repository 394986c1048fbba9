"""RTSP probes and snapshots against fake cameras on loopback (fakecamera.py): a good one streaming ffmpeg's
test pattern, and each broken kind a duty officer meets."""

import io
import json
import sys
import time

import pytest
from PIL import Image

from xiangzhi.monitoring import probing
from xiangzhi.monitoring.probing import ProbeResult, SnapshotError, probe, probe_many, snapshot

from . import fakecamera

TIMEOUT = 3.0


@pytest.fixture(scope="module")
def cameras():
    server = fakecamera.FakeCameraServer(paths_per_port=4)
    urls = {
        "good": server.add(),
        "good2": server.add(),
        "good3": server.add(),
        "locked": server.add(credentials=("admin", "s3cret!")),
        "wedged": server.add(fakecamera.WEDGED),
        "wedged2": server.add(fakecamera.WEDGED),
        "unauthorized": server.add(fakecamera.UNAUTHORIZED),
        "garbage": server.add(fakecamera.GARBAGE),
        "refused": server.add(fakecamera.REFUSED),
        "silent": server.add(fakecamera.SILENT_STREAM),
    }
    with server:
        yield urls


def test_a_good_camera_reports_its_codec_and_frame_size(cameras):
    result = probe(cameras["good"], timeout=TIMEOUT)

    assert result == ProbeResult(True, "", "h264", 640, 360, result.elapsed)
    assert 0 < result.elapsed < TIMEOUT


def test_credentials_in_the_url_open_a_locked_camera_and_never_show_in_the_detail(cameras):
    assert probe(cameras["locked"], timeout=TIMEOUT).ok

    wrong = cameras["locked"].replace("s3cret!", "guess")
    result = probe(wrong, timeout=TIMEOUT)

    assert not result.ok
    assert "401" in result.detail
    assert "guess" not in result.detail


@pytest.mark.parametrize(
    "kind, detail",
    [
        ("refused", "connection refused"),
        ("wedged", "no answer within 3 s"),
        ("unauthorized", "the camera refused the credentials (401 Unauthorized)"),
        ("garbage", "not an RTSP stream (invalid data in the answer)"),
        ("silent", "no video within 3 s"),
    ],
)
def test_each_broken_camera_fails_with_a_clear_detail_within_the_timeout(cameras, kind, detail):
    started = time.monotonic()

    result = probe(cameras[kind], timeout=TIMEOUT)

    assert (result.ok, result.detail) == (False, detail)
    assert time.monotonic() - started < TIMEOUT + 1.5  # the prober process's start-up included


def test_a_snapshot_is_a_jpeg_within_the_size_limit(cameras):
    jpeg = snapshot(cameras["good"], timeout=TIMEOUT, max_bytes=200_000)

    image = Image.open(io.BytesIO(jpeg))
    assert (image.format, image.size) == ("JPEG", (640, 360))
    assert len(jpeg) <= 200_000


def test_a_tight_limit_gets_a_smaller_or_coarser_jpeg_and_an_impossible_one_an_error(cameras):
    full = snapshot(cameras["good"], timeout=TIMEOUT, max_bytes=1_000_000)
    tight = snapshot(cameras["good"], timeout=TIMEOUT, max_bytes=len(full) // 3)

    assert len(tight) <= len(full) // 3
    assert Image.open(io.BytesIO(tight)).format == "JPEG"
    with pytest.raises(SnapshotError, match="over 100 bytes"):
        snapshot(cameras["good"], timeout=TIMEOUT, max_bytes=100)


def test_a_huge_frame_is_shrunk_to_the_longest_side_allowed(cameras, monkeypatch):
    # the fake camera's frame is 640 wide: lowering the cap shows the shrink without a 4K stream
    import av

    with av.open(cameras["good"], options={"rtsp_transport": "tcp"}) as container:
        frame = next(container.decode(video=0))
    jpeg = probing._jpeg(frame, side=320, quality=5)

    assert Image.open(io.BytesIO(jpeg)).size == (320, 180)


def test_a_snapshot_of_a_broken_camera_says_why(cameras):
    with pytest.raises(SnapshotError, match="connection refused"):
        snapshot(cameras["refused"], timeout=TIMEOUT)
    with pytest.raises(SnapshotError, match="no answer within 1 s"):
        snapshot(cameras["wedged"], timeout=1.0)


def test_probe_many_is_not_held_back_by_wedged_cameras(cameras):
    urls = [cameras[k] for k in ("wedged", "good", "wedged2", "good2", "refused", "good3")]
    started = time.monotonic()
    arrivals = []

    for url, result in probe_many(urls, concurrency=10, timeout=TIMEOUT):
        arrivals.append((url, result.ok, time.monotonic() - started))

    assert time.monotonic() - started < TIMEOUT + 1.5
    assert sorted(url for url, _, _ in arrivals) == sorted(urls)
    good = [at for url, ok, at in arrivals if ok]
    assert len(good) == 3 and max(good) < 1.5  # each good camera is reported as it answers
    assert [url for url, ok, _ in arrivals[-2:]] and all(not ok for _, ok, _ in arrivals[-2:])


# ------------------------------------------------------------------------- the parent's supervision of its child

FAKE_PROBER = """
import json, os, sys
for line in sys.stdin:
    request = json.loads(line)
    if "hang" in request["url"]:
        continue  # stuck in C, as far as the parent can tell
    if "crash" in request["url"]:
        os._exit(1)
    answer = {"id": request["id"], "ok": True, "detail": "", "codec": "h264", "width": 1, "height": 1, "elapsed": 0}
    print(json.dumps(answer), flush=True)
"""


@pytest.fixture
def fake_prober(monkeypatch):
    monkeypatch.setattr(probing, "PROBER_COMMAND", [sys.executable, "-c", FAKE_PROBER])
    monkeypatch.setattr(probing, "GRACE", 0.3)


def test_a_probe_stuck_in_its_process_is_failed_at_its_deadline_and_others_go_on(fake_prober):
    urls = ["rtsp://a/1", "rtsp://hang/2", "rtsp://a/3", "rtsp://a/4"]

    results = dict(probe_many(urls, concurrency=2, timeout=0.2))

    assert results["rtsp://hang/2"].detail == "no answer within 0.2 s (hung)"
    assert [results[u].ok for u in urls] == [True, False, True, True]


def test_a_crashing_stream_fails_alone_and_the_others_are_tried_again(fake_prober):
    urls = ["rtsp://a/1", "rtsp://crash/2", "rtsp://a/3", "rtsp://a/4"]

    results = dict(probe_many(urls, concurrency=4, timeout=1.0))

    assert results["rtsp://crash/2"].detail == "the prober crashed on this stream"
    assert [results[u].ok for u in urls] == [True, False, True, True]


def test_the_prober_process_answers_each_request_on_its_own_line(cameras):
    requests = [
        {"id": 7, "op": "probe", "url": cameras["good"], "timeout": TIMEOUT},
        {"id": 8, "op": "snapshot", "url": cameras["refused"], "timeout": TIMEOUT, "max_bytes": 1000},
    ]
    stdout = io.StringIO()

    probing._serve(2, io.StringIO("".join(json.dumps(r) + "\n" for r in requests)), stdout).shutdown(
        wait=True
    )

    answers = {a["id"]: a for a in map(json.loads, stdout.getvalue().splitlines())}
    assert answers[7]["ok"] and answers[7]["width"] == 640
    assert answers[8] == {"id": 8, "ok": False, "detail": "connection refused"}
