"""Building blocks shared by the pages: the layout, form fields and buttons."""
