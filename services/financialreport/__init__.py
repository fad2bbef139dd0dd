"""financialreport: annual and quarterly statements with estimates (Naver finance API) and the
day's valuation (Naver integration) -> financial_statement, stock_valuation, stock_sector."""
