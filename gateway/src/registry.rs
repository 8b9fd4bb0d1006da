//! The protocols this build of Borderpost speaks, by name.
//!
//! The gateway reaches adapters only through the [`Adapter`] trait and this
//! registry; it never looks into an adapter's wire types.

use std::collections::BTreeMap;
use std::sync::Arc;

use borderpost_core::Adapter;
use borderpost_core::canonical::CanonicalJson;

/// Adapters by protocol name.
#[derive(Clone, Default)]
pub struct Registry {
    adapters: BTreeMap<&'static str, Arc<dyn Adapter>>,
}

impl Registry {
    /// Every protocol with its default settings.
    ///
    /// Defaults can decode; adapters that need configuration to encode
    /// (Norway's DPI needs a Maskinporten token, a print service, a return
    /// address) are replaced by configured ones with [`Registry::insert`],
    /// as `borderpost translate` does and the server will from its config.
    pub fn with_defaults() -> Registry {
        let mut registry = Registry::default();
        registry.insert(Arc::new(CanonicalJson));
        registry.insert(Arc::new(borderpost_dk::Memo::new(
            borderpost_dk::MemoVersion::V1_1,
        )));
        registry.insert(Arc::new(borderpost_dk::Memo::new(
            borderpost_dk::MemoVersion::V1_2,
        )));
        registry.insert(Arc::new(borderpost_dk::Fjernprint));
        registry.insert(Arc::new(borderpost_no::Dpi::default()));
        registry.insert(Arc::new(borderpost_no::DpiReceipts::default()));
        registry.insert(Arc::new(borderpost_no::Sdp));
        registry
    }

    /// Adds (or replaces) an adapter under its protocol name.
    pub fn insert(&mut self, adapter: Arc<dyn Adapter>) {
        self.adapters.insert(adapter.protocol().0, adapter);
    }

    /// The adapter for `protocol`.
    pub fn get(&self, protocol: &str) -> Option<Arc<dyn Adapter>> {
        self.adapters.get(protocol).cloned()
    }

    /// The protocol names, sorted.
    pub fn names(&self) -> Vec<&'static str> {
        self.adapters.keys().copied().collect()
    }
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.adapters.keys()).finish()
    }
}
