// query() against hostile expressions: one depth budget for every recursive rule (operator
// chains included) and error messages built once, however deep the error.
#include <cstdint>
#include <string>

#include <gtest/gtest.h>

#include "../dataframe/write_file.hpp"
#include "../support/expect_error.hpp"

#include "loom/core/error.hpp"
#include "loom/dataframe.hpp"

namespace dd = loom::dataframe;

namespace {

dd::DataFrame numbers() {
  static const std::string path =
      loom::test::write_file("numbers.csv", "a,x,s\n1,1,p\n2,2,q\n3,3,r\n4,4,s\n5,5,t\n");
  return dd::read_csv(path, {.blocksize = 16});
}

std::string chain(const std::string& term, const std::string& op, int terms) {
  std::string out = term;
  out.reserve(static_cast<std::size_t>(terms) * (term.size() + op.size() + 2));
  for (int i = 1; i < terms; ++i) out += " " + op + " " + term;
  return out;
}

TEST(HostileQuery, ComparisonChainOf200000TermsIsAnErrorNotAStackOverflow) {
  const auto df = numbers();
  EXPECT_ERROR_CONTAINS((void)df.query(chain("a", "<", 200'000)), loom::ParseError,
                        "more than 1000 operators deep");
}

TEST(HostileQuery, EveryOperatorChainHasTheSameBudget) {
  const auto df = numbers();
  for (const char* op : {"+", "-", "*", "/"}) {
    EXPECT_ERROR_CONTAINS((void)df.query(chain("a", op, 200'000) + " > 0"), loom::ParseError,
                          "more than 1000 operators deep")
        << op;
  }
  for (const char* op : {"and", "or", "&", "|"}) {
    EXPECT_ERROR_CONTAINS((void)df.query(chain("a > 1", op, 200'000)), loom::ParseError,
                          "more than 1000 operators deep")
        << op;
  }
}

TEST(HostileQuery, LongChainsWithinTheBudgetStillWork) {
  const auto df = numbers();
  // "x == 1 or x == 2 or ... or x == 400": 400 alternatives, rows 1..5 all match.
  std::string alternatives = "x == 1";
  for (int i = 2; i <= 400; ++i) alternatives += " or x == " + std::to_string(i);
  EXPECT_EQ(df.query(alternatives).len(), 5);
  // a < a + 1 < a + 2 < ... : 300 comparisons, all true.
  std::string rising = "a";
  for (int i = 1; i < 300; ++i) rising += " < a + " + std::to_string(i);
  EXPECT_EQ(df.query(rising).len(), 5);
  // 0 + a + a + ... (900 terms) > 3 * 899 keeps rows with a >= 4.
  EXPECT_EQ(df.query(chain("a", "+", 900) + " > " + std::to_string(3 * 900)).len(), 2);
}

TEST(HostileQuery, DeepTypeErrorInAOneMegabyteQueryIsReportedOnce) {
  const auto df = numbers();
  // A hundred levels of "a > 0 and (...)" around a type error (string + int), padded to 1 MB.
  std::string query;
  for (int i = 0; i < 100; ++i) query += "a > 0 and (";
  query += "s + 1 > 0";
  query += std::string(100, ')');
  query += std::string((1 << 20) - query.size(), ' ');
  try {
    (void)df.query(query);
    ADD_FAILURE() << "no error";
  } catch (const loom::SchemaError& e) {
    const std::string what = e.what();
    // The query appears once in the message, not once per level.
    EXPECT_LT(what.size(), query.size() + 1000);
    EXPECT_NE(what.find("at position 1103: cannot apply + to s"), std::string::npos)
        << what.substr(what.size() - 300);
  }
}

}  // namespace
