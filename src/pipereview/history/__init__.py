"""History: the snapshot store and the fiscal calendar (the same layer as ``sources``)."""
