// The Python snippet "Understanding Chunking Strategy" in C++:
//
//   arr = da.zeros((8000, 8000), chunks=(1000, 1000), dtype='float32')
//   print(f"Array shape: {arr.shape}")
//   print(f"Chunk shape: {arr.chunks}")
//   print(f"Number of chunks: {arr.npartitions}")
//   arr.sum().visualize('computation_graph.png')
//
// visualize writes Graphviz DOT (`dot -Tpng computation_graph.dot -o computation_graph.png`).
#include <loom/loom.hpp>

#include <iostream>

namespace da = loom::array;

int main() {
  auto arr = da::zeros<float>({8000, 8000}, {.chunks = {1000, 1000}});
  std::cout << "Array shape: " << arr.shape() << '\n';
  std::cout << "Chunk shape: " << arr.chunks().str() << '\n';
  std::cout << "Number of chunks: " << arr.npartitions() << '\n';
  arr.sum().visualize("computation_graph.dot");
  std::cout << "graph written to computation_graph.dot\n";
  return arr.npartitions() == 64 && arr.sum().compute_scalar() == 0.0F ? 0 : 1;
}
