//! Borderpost adapter for Denmark: MeMo 1.0-1.2 (Digital Post) and Fjernprint (SF1600) print fallback.
