"""The Numery-Premium.PL pages, one module per area; premium.urls names them."""
