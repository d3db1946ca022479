"""Selection, signal yields and backgrounds."""
