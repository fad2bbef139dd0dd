"""stockcode: the listing (Naver market value for KOSPI and KOSDAQ, KIND's official list) and
sectors (Naver industry groups and their members) -> stock_listing, sector, stock_sector."""
