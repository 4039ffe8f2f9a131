//! Meridian facade.
