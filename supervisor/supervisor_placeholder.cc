// Placeholder so sg_supervisor_lib has a source until the supervisor's files land.
namespace sg {
int supervisorLibraryAnchor() { return 0; }
}  // namespace sg
