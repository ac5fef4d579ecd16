"""The Tour: the practical data-science loop in seven steps on the demo reviews (``services.tour.models``)."""
