"""What people read: texts, keyboards and their button labels, one module per flow."""
