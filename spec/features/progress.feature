Feature: Live progress of a running suite
  Every planned test is in the run before the first one runs (IDLE), the one that runs is
  RUNNING since its start, and each result replaces that as it lands. A process that dies
  leaves the truth behind: RUNNING what was running, IDLE what never started.

  Background:
    Given the environment variables:
      | TCMS_PRODUCT         | P  |
      | TCMS_PRODUCT_VERSION | v1 |
      | TCMS_BUILD           | b1 |
    And the test results:
      | name   | outcome |
      | t.one  | passed  |
      | t.two  | failed  |
      | t.tree | passed  |

  Scenario: While the suite runs, the planned tests are IDLE and the running one RUNNING (Kiwi TCMS 12.4)
    Given a Kiwi TCMS 12.4 server
    And the server has the classification "Software"
    When the plugin plans the results and starts the first 1
    Then the reported test run has the executions:
      | case   | status  |
      | t.one  | RUNNING |
      | t.two  | IDLE    |
      | t.tree | IDLE    |
    And the execution of "t.one" has:
      | start_date | a date |
    And TestExecution.add_comment is not called

  Scenario: While the suite runs, the planned tests are IDLE and the running one RUNNING (Kiwi TCMS 16.2)
    Given a Kiwi TCMS 16.2 server
    And the server has the classification "Software"
    When the plugin plans the results and starts the first 1
    Then the reported test run has the executions:
      | case   | status  |
      | t.one  | RUNNING |
      | t.two  | IDLE    |
      | t.tree | IDLE    |
    And the execution of "t.one" has:
      | start_date | a date |
    And TestExecution.add_comment is not called

  Scenario: Results reported live replace IDLE and RUNNING (Kiwi TCMS 12.4)
    Given a Kiwi TCMS 12.4 server
    And the server has the classification "Software"
    When the plugin reports the results live
    Then the report succeeds
    And the reported test run has the executions:
      | case   | status |
      | t.one  | PASSED |
      | t.two  | FAILED |
      | t.tree | PASSED |
    And the summary counts:
      | status | count |
      | PASSED | 2     |
      | FAILED | 1     |

  Scenario: Results reported live replace IDLE and RUNNING (Kiwi TCMS 16.2)
    Given a Kiwi TCMS 16.2 server
    And the server has the classification "Software"
    When the plugin reports the results live
    Then the report succeeds
    And the reported test run has the executions:
      | case   | status |
      | t.one  | PASSED |
      | t.two  | FAILED |
      | t.tree | PASSED |
    And the summary counts:
      | status | count |
      | PASSED | 2     |
      | FAILED | 1     |
