#pragma once
// The loom::Error hierarchy (docs/core.md). Every failure loom reports is one of these.

#include <cstddef>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>

namespace loom {

/// Base of every error loom throws on bad input or failed work.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A task threw. `what()` names the task; the original exception is nested
/// (`std::rethrow_if_nested(e)` rethrows it). Construct only inside a `catch` block,
/// so that the exception being handled becomes the nested one.
class TaskError : public Error, public std::nested_exception {
 public:
  TaskError(std::string task_name, const std::string& message,
            std::optional<std::size_t> index = std::nullopt);
  /// The failing task: its name and id (`"parse #3"`), or `"task #3"` when it has no name;
  /// for Parallel, `"Parallel call 17"`.
  [[nodiscard]] const std::string& task_name() const noexcept { return task_name_; }
  /// For `Parallel`: the input index of the failing call.
  [[nodiscard]] std::optional<std::size_t> index() const noexcept { return index_; }

 private:
  std::string task_name_;
  std::optional<std::size_t> index_;
};

/// A worker process died (signal, `abort`, `exit`) while running a task.
class WorkerCrashed : public Error {
 public:
  using Error::Error;
};

/// A task or a wait ran longer than its timeout.
class Timeout : public Error {
 public:
  using Error::Error;
};

/// The work was cancelled before it produced a value.
class Cancelled : public Error {
 public:
  using Error::Error;
};

/// An object of the object store can no longer be had.
class ObjectLost : public Error {
 public:
  using Error::Error;
};

/// A resource request that can never be met.
class ResourceError : public Error {
 public:
  using Error::Error;
};

/// Malformed input text, with the 1-based line and column where it went wrong.
class ParseError : public Error {
 public:
  ParseError(std::string file, std::size_t line, std::size_t column, const std::string& what);
  [[nodiscard]] const std::string& file() const noexcept { return file_; }
  [[nodiscard]] std::size_t line() const noexcept { return line_; }
  [[nodiscard]] std::size_t column() const noexcept { return column_; }

 private:
  std::string file_;
  std::size_t line_;
  std::size_t column_;
};

/// Shapes that do not fit together (raised when the lazy expression is built).
class ShapeError : public Error {
 public:
  using Error::Error;
};

/// An index outside an axis, or too many indices (NumPy's IndexError; a kind of ShapeError).
class IndexError : public ShapeError {
 public:
  using ShapeError::ShapeError;
};

/// Unknown columns or mismatched column types (raised when the expression is built).
class SchemaError : public Error {
 public:
  using Error::Error;
};

/// A cache folder that cannot be used.
class CacheError : public Error {
 public:
  using Error::Error;
};

/// A bad option or configuration value.
class ConfigError : public Error {
 public:
  using Error::Error;
};

namespace detail {
/// Readable name of the exception currently being handled ("std::runtime_error"), or "unknown".
std::string current_exception_type_name();
/// `what()` of the exception currently being handled, or "" when it is not a std::exception.
std::string current_exception_message();
}  // namespace detail

}  // namespace loom
