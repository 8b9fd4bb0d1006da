//! Borderpost adapter for Norway: DPI business messages (signed JWT), ASiC-E, CMS, receipts; legacy SDP.
