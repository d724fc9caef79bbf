"""Query execution and serialisation: inspecting a query, running it in isolated workers under a
deadline, and writing its results in the negotiated format."""
