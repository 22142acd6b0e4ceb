"""Numbered SQL migrations, applied in order by `callcenter migrate`."""
