// Placeholder so sg_worker_lib has a source until the worker's files land.
namespace sg {
int workerLibraryAnchor() { return 0; }
}  // namespace sg
