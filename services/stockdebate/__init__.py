"""stockdebate: discussion posts per stock from Naver's community API, cursor paging, stopping at
the first post already seen -> board_post."""
