"""stockreport: daily open/high/low/close/volume per stock (and the KOSPI/KOSDAQ indexes) from
Naver's chart API, one request per stock for the whole missing range -> daily_price."""
