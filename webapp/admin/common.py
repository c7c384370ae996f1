"""Small helpers the console views share: the page size."""
PER_PAGE = 50
