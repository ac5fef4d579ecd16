"""Functions and constants shared by test modules. Test modules import from here, never from each other."""
