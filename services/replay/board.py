"""Discussion-board posts of the simulated world: a steady trickle per stock plus planted bursts."""
from __future__ import annotations

import datetime as dt

import numpy as np

OPEN, CLOSE = dt.time(9, 0), dt.time(15, 30)
NICKS = ("서준사랑", "똑똑한페퍼민트zz", "Dragon", "시장과자유", "메흐메트2세", "개미왕", "존버의신",
         "단타고수", "가즈아", "물린사람", "주린이", "holder99", "불개미", "떡상기원", "차트쟁이")
AVATARS = ("https://ssl.pstatic.net/imgstock/fn/real/_front/image/profile/avatar-11.png",
           "https://ssl.pstatic.net/imgstock/fn/real/_front/image/profile/bonnie.png", None)
TITLES = ("{name} 오늘 어떻게 보시나요", "{name} 드디어 바닥인가", "미련한 투자법", "내일 갭상 가능?",
          "{name} 실적 기대됩니다", "손절했습니다", "외인 매수 들어오네요", "{name} 존버합니다",
          "\"진짜\" 마지막 기회", "거래량 터졌다", "공매도 세력 물러가라", "{name} 목표가 상향",
          "'물타기' 해도 될까요", "오늘 장 마감 정리")
LINES = ("상승시 목표치 도달하면 매도", "오를땐 파는거 아니다", "내릴때 파는거지 ㅎ",
         "차트상 지지선 확인했습니다", "기관이 계속 받아주네요", "이번 분기 실적이 관건",
         "뉴스 나오면 바로 반응할듯", "다들 \"존버\" 하세요", "손절 라인은 지키자",
         "외인 수급이 'Key' 입니다", "<괄호> 안의 글자 & 기호 테스트", "ㅋㅋㅋ 이게 주식이지")
BURST_TITLES = ("{name} 내일 뭔가 나온다", "{name} 대박 소식 들으셨나요", "{name} 급등 예감",
                "{name} 지금이라도 들어가야 하나", "{name} 무슨 일인가요??", "{name} 악재 떴네요")
EMOJI = ("🚀", "📈", "😭", "🔥", "👍")
CONTROL = ("\x0b", "\x07", "\x1f")


def _text(rng: np.random.Generator, name: str, burst: bool) -> tuple[str, list[str]]:
    titles = BURST_TITLES if burst else TITLES
    title = titles[int(rng.integers(len(titles)))].format(name=name)
    lines = [LINES[int(j)] for j in rng.integers(len(LINES), size=int(rng.integers(1, 5)))]
    r = rng.random()
    if r < 0.04:
        title += EMOJI[int(rng.integers(len(EMOJI)))]
    elif r < 0.06:
        lines[0] += CONTROL[int(rng.integers(len(CONTROL)))] + "숨은문자"
    elif r < 0.08:
        lines.append("줄바꿈<br>태그가 글 안에")
    return title, lines


def _stamp(rng: np.random.Generator, start: dt.datetime, end: dt.datetime) -> dt.datetime:
    span = max(int((end - start).total_seconds()), 1)
    return start + dt.timedelta(seconds=int(rng.integers(span)))


def burst_window(day: dt.date, prev_day: dt.date, lag: int) -> tuple[dt.datetime, dt.datetime]:
    """Naive KST window of planted board activity for a mover on ``day``: the session itself
    (lag 0) or from the previous session's close to this day's open (lag 1)."""
    if lag == 0:
        return dt.datetime.combine(day, OPEN), dt.datetime.combine(day, CLOSE)
    return dt.datetime.combine(prev_day, CLOSE), dt.datetime.combine(day, OPEN)


def make_posts(rng: np.random.Generator, stocks: list[dict], start: dt.date, end: dt.date,
               bursts: list[tuple[int, dt.datetime, dt.datetime, int]], rate: float) -> list[dict]:
    """All posts, oldest first with increasing ids. ``bursts`` holds (stock index, window start,
    window end, count); ``rate`` is the mean number of ordinary posts per stock and day."""
    n = len(stocks)
    days = (end - start).days + 1
    weight = 1.0 / np.sqrt(np.arange(1, n + 1))
    lam = rate * weight / weight.mean()
    counts = rng.poisson(lam[:, None], size=(n, days))
    raw: list[tuple[dt.datetime, int, bool]] = []
    for i, d in zip(*np.nonzero(counts)):
        day0 = dt.datetime.combine(start + dt.timedelta(days=int(d)), dt.time())
        for _ in range(int(counts[i, d])):
            raw.append((day0 + dt.timedelta(seconds=int(rng.integers(86400))), int(i), False))
    for i, w0, w1, count in bursts:
        for _ in range(count):
            raw.append((_stamp(rng, w0, w1), i, True))
    raw.sort(key=lambda r: (r[0], r[1], r[2]))
    gaps = rng.integers(1, 40, size=len(raw))
    post_id = 417_000_000
    last_by_stock: dict[int, int] = {}
    posts = []
    for (when, i, burst), gap in zip(raw, gaps):
        post_id += int(gap)
        stock = stocks[i]
        title, lines = _text(rng, stock["name"], burst)
        parent = last_by_stock.get(i) if rng.random() < 0.04 else None
        nick = int(rng.integers(len(NICKS)))
        posts.append({
            "id": str(post_id), "code": stock["code"], "name": stock["name"],
            "written_at": when.strftime("%Y-%m-%dT%H:%M:%S"),
            "title": title, "lines": lines, "nickname": NICKS[nick],
            "profile_id": str(28_000_000_000_000_000 + int(rng.integers(10**15))),
            "avatar": AVATARS[nick % 3], "clean": bool(rng.random() > 0.04),
            "reply_depth": 1 if parent else 0, "parent_id": str(parent) if parent else None,
            "comments": int(rng.poisson(0.8)), "likes": int(rng.poisson(2.0 if burst else 0.8)),
            "dislikes": int(rng.poisson(0.4)), "views": int(rng.integers(5, 400) * (3 if burst else 1)),
        })
        last_by_stock[i] = post_id
    return posts


def body_html(lines: list[str]) -> str:
    """``contentSwReplaced``: the lines joined with ``<br>`` (the text itself as written)."""
    return "<br>".join(lines)


def body_text(lines: list[str]) -> str:
    """``contentSwReplacedButImg``: the lines joined with spaces."""
    return " ".join(lines)
