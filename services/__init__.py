"""One package per service: the seven crawlers, the loader and the replay site."""
