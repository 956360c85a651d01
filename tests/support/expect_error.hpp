#pragma once
// Assertions about thrown errors, for loom's tests only (not installed). Modelled on fmt's
// EXPECT_THROW_MSG, with "contains" for "equals": loom's messages name files, lines and values
// around the part a test cares about.
//
//   EXPECT_ERROR_CONTAINS(statement, Type, "text", ...);
//     `statement` throws a `Type` whose what() contains each text.
//   EXPECT_ERROR(statement, Type, check);
//     `statement` throws a `Type`, and `check(const Type&)` runs on it inside the handler: for
//     what the message does not hold (a ParseError's line, a TaskError's nested exception).
//
// The statement runs once. Each fails the test non-fatally, as EXPECT_THROW does, with a message
// that quotes the statement and says what happened instead: it threw nothing; it threw another
// type (named, with its what()); or the message lacks a text (each missing text named, and the
// whole message shown). More context may be streamed in: `EXPECT_ERROR_CONTAINS(...) << mode;`.

#include <cxxabi.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <exception>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeinfo>

namespace loom::test::detail {

/// The exception being handled, for a failure message: its type, and its what() if it has one.
inline std::string describe_current_exception() {
  std::string name = "an exception of unknown type";
  if (const std::type_info* type = abi::__cxa_current_exception_type()) {
    int status = 0;
    const std::unique_ptr<char, void (*)(void*)> readable(
        abi::__cxa_demangle(type->name(), nullptr, nullptr, &status), std::free);
    name = status == 0 && readable ? readable.get() : type->name();
  }
  try {
    throw;
  } catch (const std::exception& e) {
    return name + " (what(): \"" + e.what() + "\")";
  } catch (...) {
    return name;
  }
}

/// Runs `statement`; success is `check(error)` when it throws an `Error`.
template <class Error, class Statement, class Check>
::testing::AssertionResult throws_error(Statement&& statement, const char* statement_text,
                                        const char* type_text, Check&& check) {
  try {
    statement();
  } catch (const Error& error) {
    return check(error);
  } catch (...) {
    return ::testing::AssertionFailure()
           << "Expected: " << statement_text << " throws " << type_text << ".\n  Actual: it throws "
           << describe_current_exception() << ".";
  }
  return ::testing::AssertionFailure() << "Expected: " << statement_text << " throws " << type_text
                                       << ".\n  Actual: it throws nothing.";
}

/// Success when `what` contains each text; else a failure naming each missing text.
inline ::testing::AssertionResult contains_each(std::string_view what,
                                                std::initializer_list<std::string_view> texts,
                                                const char* statement_text, const char* type_text) {
  std::string missing;
  for (const std::string_view text : texts) {
    if (what.find(text) == std::string_view::npos) {
      missing += "\n  It lacks: \"" + std::string(text) + "\"";
    }
  }
  if (missing.empty()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "Expected: " << statement_text << " throws " << type_text
         << " whose what() contains each text.\n  Actual: what() is \"" << what << "\"." << missing;
}

template <class Error, class Statement>
::testing::AssertionResult throws_error_containing(Statement&& statement,
                                                   const char* statement_text,
                                                   const char* type_text,
                                                   std::initializer_list<std::string_view> texts) {
  static_assert(std::is_base_of_v<std::exception, Error>,
                "EXPECT_ERROR_CONTAINS reads what(): use EXPECT_ERROR for other types");
  return throws_error<Error>(statement, statement_text, type_text, [&](const Error& error) {
    return contains_each(error.what(), texts, statement_text, type_text);
  });
}

}  // namespace loom::test::detail

#define LOOM_TEST_EXPECT_RESULT_(result)                             \
  GTEST_AMBIGUOUS_ELSE_BLOCKER_                                      \
  if (const ::testing::AssertionResult loom_test_result_ = (result)) \
    ;                                                                \
  else                                                               \
    GTEST_NONFATAL_FAILURE_(loom_test_result_.message())

/// `statement` throws a `Type` (or a type derived from it) whose what() contains each text.
#define EXPECT_ERROR_CONTAINS(statement, Type, text, ...)                       \
  LOOM_TEST_EXPECT_RESULT_(::loom::test::detail::throws_error_containing<Type>( \
      [&] { statement; }, #statement, #Type, {text __VA_OPT__(, ) __VA_ARGS__}))

/// `statement` throws a `Type` (or a type derived from it), and the callable after the type runs
/// on it (as `const Type&`, inside the handler: `std::rethrow_if_nested` works on it).
#define EXPECT_ERROR(statement, Type, ...)                                             \
  LOOM_TEST_EXPECT_RESULT_(                                                            \
      ::loom::test::detail::throws_error<Type>([&] { statement; }, #statement, #Type,  \
                                               [&](const Type& loom_test_error_) {     \
                                                 (__VA_ARGS__)(loom_test_error_);      \
                                                 return ::testing::AssertionSuccess(); \
                                               }))
