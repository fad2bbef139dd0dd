"""fx: Korea Eximbank's exchange rates for each date (authkey from KOREAEXIM_AUTHKEY) -> fx_rate."""
