"""Small pieces many screens share: worker threads, times and zones, file dialogs,
failure reporting and date-time fields."""
