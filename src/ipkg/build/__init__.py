"""Stage 1-3 of the pipeline: files → dataset → reasoner. Reads the embedded or given files,
validates them, reasons over them and hands named graphs to a store."""
