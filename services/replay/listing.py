"""The simulated listing: companies and ETFs with codes, markets, sectors and KIND's company facts."""
from __future__ import annotations

import datetime as dt

import numpy as np

#: Naver industry groups (no, name) with the KIND 업종 text, a product and name endings for each.
SECTORS: list[tuple[int, str, str, str, tuple[str, ...]]] = [
    (278, "반도체와반도체장비", "반도체 제조업", "메모리 반도체, 반도체 장비", ("반도체", "세미콘", "테크")),
    (267, "IT서비스", "컴퓨터 프로그래밍, 시스템 통합 및 관리업", "SI, 클라우드", ("정보통신", "시스템즈", "IT")),
    (261, "제약", "의약품 제조업", "전문의약품", ("제약", "약품", "파마")),
    (286, "생물공학", "자연과학 및 공학 연구개발업", "바이오 신약 후보물질", ("바이오", "바이오로직스", "젠")),
    (272, "화학", "기초 화학물질 제조업", "석유화학 제품", ("화학", "케미칼", "소재")),
    (273, "자동차부품", "자동차 신품 부품 제조업", "자동차 부품", ("모비스", "오토텍", "정공")),
    (270, "자동차", "자동차용 엔진 및 자동차 제조업", "승용차, 상용차", ("자동차", "모터스")),
    (299, "기계", "특수 목적용 기계 제조업", "산업용 기계", ("기계", "중공업", "엔지니어링")),
    (279, "건설", "종합 건설업", "건축, 토목", ("건설", "산업개발", "E&C")),
    (301, "은행", "은행 및 저축기관", "예금, 대출", ("금융지주", "은행")),
    (321, "증권", "금융 지원 서비스업", "증권 중개", ("증권", "투자증권")),
    (315, "보험", "보험업", "손해보험", ("화재", "생명", "손해보험")),
    (287, "소프트웨어", "소프트웨어 개발 및 공급업", "보안 소프트웨어", ("소프트", "랩스", "웍스")),
    (300, "게임엔터테인먼트", "소프트웨어 개발 및 공급업", "모바일 게임", ("게임즈", "엔터", "스튜디오")),
    (285, "방송과엔터테인먼트", "영화, 비디오물, 방송프로그램 제작 및 배급업", "음반, 드라마", ("엔터테인먼트", "미디어")),
    (269, "전기장비", "전동기, 발전기 및 전기 변환 · 공급 · 제어 장치 제조업", "변압기, 배터리", ("전기", "일렉트릭", "에너지")),
    (282, "디스플레이장비및부품", "전자부품 제조업", "디스플레이 부품", ("디스플레이", "광학", "전자")),
    (283, "전자장비와기기", "측정, 시험, 항해, 제어 및 기타 정밀기기 제조업", "계측기", ("정밀", "인스트루먼트")),
    (266, "식품", "기타 식품 제조업", "가공식품", ("식품", "푸드", "제과")),
    (268, "화장품", "기타 화학제품 제조업", "기초화장품", ("코스메틱", "뷰티")),
    (280, "조선", "선박 및 보트 건조업", "선박", ("조선", "해양")),
    (310, "철강", "1차 철강 제조업", "열연강판", ("제철", "철강", "스틸")),
    (313, "에너지장비및서비스", "전기업", "발전", ("에너지", "파워", "솔라")),
    (306, "항공사", "항공 여객 운송업", "항공 운송", ("항공", "에어")),
    (337, "건강관리장비와용품", "의료용 기기 제조업", "의료기기", ("메디칼", "헬스케어", "메디텍")),
]
ETF_BRANDS = ("KODEX", "TIGER", "ACE", "RISE", "SOL", "HANARO", "PLUS", "KIWOOM")
ETF_THEMES = ("200", "코스닥150", "반도체", "2차전지", "미국S&P500", "나스닥100", "고배당", "조선TOP3",
              "은행", "K방산", "AI전력", "바이오", "국고채3년", "CD금리액티브", "인도Nifty50")
SYLLABLES = ("한", "대", "신", "동", "삼", "우", "성", "진", "광", "태", "영", "일", "세", "현", "해",
             "미", "래", "보", "원", "정", "아", "코", "에", "이", "케", "엘", "티", "디", "파", "스")
REGIONS = ("서울특별시", "경기도", "인천광역시", "부산광역시", "대구광역시", "충청남도", "경상남도",
           "강원특별자치도", "대전광역시", "전라북도")
SURNAMES = ("김", "이", "박", "최", "정", "강", "조", "윤", "장", "임")
GIVEN = ("민수", "지훈", "서연", "현우", "정환", "경훈", "강욱", "영희", "태호", "상철", "은정", "재용")


def make_listing(rng: np.random.Generator, n: int, end: dt.date) -> list[dict]:
    """``n`` securities (about 9% ETFs, 3% KONEX, 1% letter codes), largest market cap first."""
    codes: set[str] = set()
    names: set[str] = set()
    stocks: list[dict] = []
    caps = np.sort(rng.lognormal(mean=np.log(3e11), sigma=1.6, size=n))[::-1]
    for i in range(n):
        while True:
            if rng.random() < 0.012:
                code = f"{int(rng.integers(80, 140)):04d}{'ABCDEFGHJKLMNPQRSTUVWXYZ'[int(rng.integers(24))]}0"
            else:
                code = f"{int(rng.integers(2, 50000)) * 10:06d}"
            if code not in codes:
                codes.add(code)
                break
        is_etf = i > 3 and rng.random() < 0.09
        sector = SECTORS[int(rng.integers(len(SECTORS)))]
        while True:
            if is_etf:
                name = f"{ETF_BRANDS[int(rng.integers(len(ETF_BRANDS)))]} " \
                       f"{ETF_THEMES[int(rng.integers(len(ETF_THEMES)))]}"
            else:
                k = int(rng.integers(2, 4))
                stem = "".join(SYLLABLES[int(j)] for j in rng.integers(len(SYLLABLES), size=k))
                name = stem + sector[4][int(rng.integers(len(sector[4])))]
            if name not in names:
                break
            if is_etf and rng.random() < 0.5:
                name += f" {int(rng.integers(2, 9))}X"
                if name not in names:
                    break
        names.add(name)
        r = rng.random()
        market = "KONEX" if (r < 0.03 and not is_etf and i > 50) else (
            "KOSPI" if (is_etf or r < 0.38 or i < 30) else "KOSDAQ")
        price = float(np.clip(rng.lognormal(np.log(12000), 1.1), 600, 900000))
        shares = max(int(caps[i] / price), 100_000)
        listed = end - dt.timedelta(days=int(rng.integers(200, 12000)))
        stocks.append({
            "code": code, "name": name, "market": market,
            "security_type": "etf" if is_etf else "stock",
            "sector_no": str(sector[0]), "sector_name": sector[1],
            "kind_sector": None if is_etf else sector[2], "product": sector[3],
            "listed_date": listed.isoformat(),
            "fiscal_month": None if is_etf else (12 if rng.random() < 0.97 else 3),
            "ceo": SURNAMES[int(rng.integers(10))] + GIVEN[int(rng.integers(12))],
            "homepage": "" if rng.random() < 0.2 else f"http://www.{code.lower()}.co.kr",
            "region": REGIONS[int(rng.integers(len(REGIONS)))],
            "shares": shares, "first_price": price,
        })
    return stocks
