"""Nate's daily ranked news of the simulated world: 100 ranks per section and day."""
from __future__ import annotations

import datetime as dt

import numpy as np

SECTIONS = ("all", "pol", "eco", "soc", "int", "its", "spo", "ent")
MIDS = {"all": "n1006", "pol": "n1001", "eco": "n1002", "soc": "n1003", "int": "n1004",
        "its": "n1005", "spo": "n1007", "ent": "n1008"}
PRESS = ("연합뉴스", "SBS", "OSEN", "뉴시스", "한국경제", "머니투데이", "헤럴드경제", "마이데일리",
         "매일경제", "조선비즈", "이데일리", "YTN", "KBS", "중앙일보")
GENERIC = {
    "pol": ("국회 본회의서 예산안 처리…여야 \"협치\" 강조", "대통령실 \"정책 기조 유지\" 재확인",
            "여야 원내대표 회동…쟁점 법안 논의"),
    "eco": ("코스피 외국인 순매수에 상승 마감", "원·달러 환율 '1,400원' 돌파", "한은 기준금리 동결",
            "\"월 200만원 벌기도 힘들다\"…퇴직자 눈물", "은행 영업시간 단축에 불만"),
    "soc": ("부산 북항 상어 '부캉이' 구조작업 중단", "\"연차 내야 갈 수 있는 곳\"…시민 불만",
            "지하철 교통약자석 둘러싼 논란"),
    "int": ("미 연준 \"추가 인하 신중\"", "일본 총리 방한 일정 확정", "중동 정세 긴장 고조"),
    "its": ("새 스마트폰 공개…AI 기능 강화", "국내 연구진 차세대 배터리 개발", "해킹 피해 신고 급증"),
    "spo": ("안세영, AG 2연속 금메달…'21-9' 완승", "프로야구 가을야구 대진 확정", "손흥민 시즌 5호골"),
    "ent": ("한가인, 뒷광고 의혹에 2차 입장 [MD이슈]", "인기 드라마 시청률 20% 돌파", "아이돌 그룹 컴백 확정"),
}
COMPANY = ("{name}, 3분기 영업이익 '어닝 서프라이즈'", "{name} 주가 급등…\"신사업 기대\"",
           "{name}, 대규모 수주 공시", "{name} 유상증자 결정에 투자자 '당혹'", "{name} 목표주가 줄줄이 상향",
           "{name}, 신약 임상 결과 발표 임박")
MAX_TITLE = 40


def cut(title: str) -> str:
    """Nate cuts long titles to a fixed width and appends "..."."""
    return title if len(title) <= MAX_TITLE else title[:MAX_TITLE - 3] + " ..."


def make_news(rng: np.random.Generator, stocks: list[dict], start: dt.date, end: dt.date,
              planted: dict[dt.date, list[tuple[int, float]]]) -> dict[str, dict[str, list[dict]]]:
    """date -> section -> 100 articles (rank order). ``planted`` puts (stock index, strength) in
    the economy and "all" rankings of a date: in the top 60 at strength 1, lower when weaker."""
    listed = [i for i, s in enumerate(stocks) if s["security_type"] == "stock"]
    weight = 1.0 / np.sqrt(np.arange(1, len(listed) + 1))
    weight /= weight.sum()
    out: dict[str, dict[str, list[dict]]] = {}
    day = start
    while day <= end:
        ymd = day.strftime("%Y%m%d")
        numbers = rng.choice(99999, size=8 * 100, replace=False) + 1
        k = 0
        by_section: dict[str, list[dict]] = {}
        for sec in SECTIONS:
            rows = []
            for _ in range(100):
                pick = sec if sec != "all" else SECTIONS[1 + int(rng.integers(7))]
                if pick == "eco" and rng.random() < 0.4:
                    stock = stocks[listed[int(rng.choice(len(listed), p=weight))]]
                    title = COMPANY[int(rng.integers(len(COMPANY)))].format(name=stock["name"])
                else:
                    pool = GENERIC[pick]
                    title = pool[int(rng.integers(len(pool)))]
                    if rng.random() < 0.5:
                        title = f"[{'속보' if rng.random() < 0.3 else '단독'}] " + title
                rows.append({"title": cut(title), "aid": f"{ymd}n{int(numbers[k]):05d}",
                             "mid": MIDS[pick], "press": PRESS[int(rng.integers(len(PRESS)))]})
                k += 1
            by_section[sec] = rows
        chosen = planted.get(day, [])[:40]
        for sec in ("eco", "all"):
            used: set[int] = set()
            for idx, strength in chosen:
                top = int(min(100, round(60 / min(strength, 1.0))))  # weaker: lower ranks too
                pos = next(int(p) for p in rng.permutation(top) if int(p) not in used)
                used.add(pos)
                name = stocks[idx]["name"]
                row = by_section[sec][pos]
                title = COMPANY[int(rng.integers(len(COMPANY)))].format(name=name)
                by_section[sec][int(pos)] = row | {"title": cut(title), "mid": MIDS["eco"]}
        out[day.isoformat()] = by_section
        day += dt.timedelta(days=1)
    return out
