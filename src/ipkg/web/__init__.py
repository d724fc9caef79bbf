"""The HTTP side of ipkg: the Flask app factory and one blueprint per concern."""
