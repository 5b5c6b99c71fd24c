"""Rule packs, framework mappings and their JSON Schemas (data, shipped in the wheel)."""
