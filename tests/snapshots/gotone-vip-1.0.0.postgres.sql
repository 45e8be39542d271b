WITH validated AS (
  SELECT
    "id" AS "id",
    CAST(CASE
      WHEN NOT (
        ABS(CAST("arpu" AS DECIMAL(38, 10))) >= 1000000000000000000
      )
      THEN CAST("arpu" AS DECIMAL(38, 10))
    END AS DECIMAL(28, 10)) AS "arpu",
    CAST(CASE
      WHEN NOT (
        ABS(CAST("arpu_prev" AS DECIMAL(38, 10))) >= 1000000000000000000
      )
      THEN CAST("arpu_prev" AS DECIMAL(38, 10))
    END AS DECIMAL(28, 10)) AS "arpu_prev",
    CAST(CASE
      WHEN NOT (
        ABS(CAST("arpu_3m" AS DECIMAL(38, 10))) >= 1000000000000000000
      )
      THEN CAST("arpu_3m" AS DECIMAL(38, 10))
    END AS DECIMAL(28, 10)) AS "arpu_3m",
    CASE
      WHEN NOT (
        "tenure_months" < -1000000000000000000 OR "tenure_months" > 1000000000000000000
      )
      THEN CAST("tenure_months" AS BIGINT)
    END AS "tenure_months",
    CAST(CASE
      WHEN NOT (
        ABS(CAST("package_fee" AS DECIMAL(38, 10))) >= 1000000000000000000
      )
      THEN CAST("package_fee" AS DECIMAL(38, 10))
    END AS DECIMAL(28, 10)) AS "package_fee",
    "card" AS "card",
    "status" AS "status",
    CASE
      WHEN NOT (
        "birthday_month" < -1000000000000000000 OR "birthday_month" > 1000000000000000000
      )
      THEN CAST("birthday_month" AS BIGINT)
    END AS "birthday_month",
    NULLIF(
      CONCAT_WS(
        '; ',
        COALESCE(
          CASE WHEN "id" IS NULL THEN 'id: is required' END,
          CASE
            WHEN NOT "id" IS NULL
            THEN 'id: ' || CASE WHEN LENGTH("id") = 0 THEN 'must not be empty' END || ' (got ' || "id" || ')'
          END
        ),
        CASE
          WHEN NOT "arpu" IS NULL
          THEN 'arpu: ' || CASE
            WHEN FALSE
            THEN ''
            WHEN CAST("arpu" AS DECIMAL(38, 10)) IS NULL
            THEN 'is not below 10^18 in magnitude'
            WHEN ABS(CAST("arpu" AS DECIMAL(38, 10))) >= 1000000000000000000
            THEN 'is not below 10^18 in magnitude'
            WHEN CAST("arpu" AS DECIMAL(38, 10)) < 0
            THEN 'must be greater than or equal to 0'
          END || ' (got ' || CAST("arpu" AS VARCHAR) || ')'
        END,
        CASE
          WHEN NOT "arpu_prev" IS NULL
          THEN 'arpu_prev: ' || CASE
            WHEN FALSE
            THEN ''
            WHEN CAST("arpu_prev" AS DECIMAL(38, 10)) IS NULL
            THEN 'is not below 10^18 in magnitude'
            WHEN ABS(CAST("arpu_prev" AS DECIMAL(38, 10))) >= 1000000000000000000
            THEN 'is not below 10^18 in magnitude'
            WHEN CAST("arpu_prev" AS DECIMAL(38, 10)) < 0
            THEN 'must be greater than or equal to 0'
          END || ' (got ' || CAST("arpu_prev" AS VARCHAR) || ')'
        END,
        CASE
          WHEN NOT "arpu_3m" IS NULL
          THEN 'arpu_3m: ' || CASE
            WHEN FALSE
            THEN ''
            WHEN CAST("arpu_3m" AS DECIMAL(38, 10)) IS NULL
            THEN 'is not below 10^18 in magnitude'
            WHEN ABS(CAST("arpu_3m" AS DECIMAL(38, 10))) >= 1000000000000000000
            THEN 'is not below 10^18 in magnitude'
            WHEN CAST("arpu_3m" AS DECIMAL(38, 10)) < 0
            THEN 'must be greater than or equal to 0'
          END || ' (got ' || CAST("arpu_3m" AS VARCHAR) || ')'
        END,
        CASE
          WHEN NOT "tenure_months" IS NULL
          THEN 'tenure_months: ' || CASE
            WHEN "tenure_months" < -1000000000000000000 OR "tenure_months" > 1000000000000000000
            THEN 'is beyond +-10^18'
            WHEN "tenure_months" < 0
            THEN 'must be greater than or equal to 0'
          END || ' (got ' || CAST("tenure_months" AS VARCHAR) || ')'
        END,
        CASE
          WHEN NOT "package_fee" IS NULL
          THEN 'package_fee: ' || CASE
            WHEN FALSE
            THEN ''
            WHEN CAST("package_fee" AS DECIMAL(38, 10)) IS NULL
            THEN 'is not below 10^18 in magnitude'
            WHEN ABS(CAST("package_fee" AS DECIMAL(38, 10))) >= 1000000000000000000
            THEN 'is not below 10^18 in magnitude'
            WHEN CAST("package_fee" AS DECIMAL(38, 10)) < 0
            THEN 'must be greater than or equal to 0'
          END || ' (got ' || CAST("package_fee" AS VARCHAR) || ')'
        END,
        CASE
          WHEN NOT "card" IS NULL
          THEN 'card: ' || CASE
            WHEN NOT (
              "card" IN ('none', 'silver', 'gold', 'diamond')
            )
            THEN 'must be one of none, silver, gold, diamond'
          END || ' (got ' || "card" || ')'
        END,
        CASE
          WHEN NOT "status" IS NULL
          THEN 'status: ' || CASE
            WHEN NOT (
              "status" IN ('active', 'suspended', 'pre_cancel')
            )
            THEN 'must be one of active, suspended, pre_cancel'
          END || ' (got ' || "status" || ')'
        END,
        CASE
          WHEN NOT "birthday_month" IS NULL
          THEN 'birthday_month: ' || CASE
            WHEN "birthday_month" < -1000000000000000000 OR "birthday_month" > 1000000000000000000
            THEN 'is beyond +-10^18'
            WHEN "birthday_month" < 1
            THEN 'must be greater than or equal to 1'
            WHEN "birthday_month" > 12
            THEN 'must be less than or equal to 12'
          END || ' (got ' || CAST("birthday_month" AS VARCHAR) || ')'
        END
      ),
      ''
    ) AS __error
  FROM customers
), stratum_1_when AS (
  SELECT
    "id",
    "arpu",
    "arpu_prev",
    "arpu_3m",
    "tenure_months",
    "package_fee",
    "card",
    "status",
    "birthday_month",
    __error,
    CASE
      WHEN NOT (
        "card" = 'none'
      ) AND "arpu_3m" >= 500
      THEN 1
      WHEN NOT (
        "card" = 'none'
      ) AND (
        "arpu_3m" >= 200 AND "arpu_3m" < 500
      )
      THEN 2
      WHEN NOT (
        "card" = 'none'
      ) AND (
        "arpu_3m" >= 120 AND "arpu_3m" < 200
      )
      THEN 3
      WHEN NOT (
        "card" = 'none'
      ) AND "arpu_3m" < 120
      THEN 4
      WHEN "arpu_3m" >= 120
      THEN 5
      WHEN TRUE
      THEN 6
    END AS __hit_0
  FROM validated
), stratum_1_then AS (
  SELECT
    *,
    CASE __hit_0
      WHEN 1
      THEN 'diamond'
      WHEN 2
      THEN 'gold'
      WHEN 3
      THEN 'silver'
      WHEN 4
      THEN 'member'
      WHEN 5
      THEN 'mid_high'
      WHEN 6
      THEN 'ordinary'
      ELSE CAST(NULL AS VARCHAR)
    END AS "tier"
  FROM stratum_1_when
), stratum_1 AS (
  SELECT
    "id",
    "arpu",
    "arpu_prev",
    "arpu_3m",
    "tenure_months",
    "package_fee",
    "card",
    "status",
    "birthday_month",
    __error,
    "tier",
    ARRAY(SELECT
      x
    FROM UNNEST(ARRAY[
      CASE __hit_0
        WHEN 1
        THEN 'tier-by-card-and-arpu#1'
        WHEN 2
        THEN 'tier-by-card-and-arpu#2'
        WHEN 3
        THEN 'tier-by-card-and-arpu#3'
        WHEN 4
        THEN 'tier-by-card-and-arpu#4'
        WHEN 5
        THEN 'tier-by-card-and-arpu#5'
        WHEN 6
        THEN 'tier-by-card-and-arpu#6'
      END
    ]) AS _t1(x)
    WHERE
      NOT x IS NULL) AS __s1_fired
  FROM stratum_1_then
), stratum_2_shared AS (
  SELECT
    "id",
    "arpu",
    "arpu_prev",
    "arpu_3m",
    "tenure_months",
    "package_fee",
    "card",
    "status",
    "birthday_month",
    __error,
    "tier",
    __s1_fired,
    "status" = 'active' AS __shared_2_0
  FROM stratum_1
), stratum_2_when AS (
  SELECT
    "id",
    "arpu",
    "arpu_prev",
    "arpu_3m",
    "tenure_months",
    "package_fee",
    "card",
    "status",
    "birthday_month",
    __error,
    "tier",
    __s1_fired,
    COALESCE(
      (
        "tier" = 'silver' AND __shared_2_0 AND "arpu_3m" >= 150 AND "package_fee" < 188
      ),
      FALSE
    ) AS __when_1,
    COALESCE((
      "tier" IN ('silver', 'mid_high') AND __shared_2_0
    ), FALSE) AS __when_2,
    COALESCE(
      (
        "arpu" < CAST("arpu_prev" * CAST(0.8 AS DECIMAL(28, 10)) AS DECIMAL(28, 10))
        AND "tenure_months" >= 12
      ),
      FALSE
    ) AS __when_3,
    COALESCE(
      (
        "tier" IN ('member', 'mid_high', 'ordinary')
        AND __shared_2_0
        AND "tenure_months" >= 6
      ),
      FALSE
    ) AS __when_4,
    COALESCE((
      "tier" IN ('diamond', 'gold') AND NOT "birthday_month" IS NULL
    ), FALSE) AS __when_5
  FROM stratum_2_shared
), stratum_2_then AS (
  SELECT
    *,
    __when_1 AS __fired_1,
    __when_2 AND NOT __when_1 AS __fired_2,
    __when_3 AS __fired_3,
    CASE
      WHEN (
        ABS("arpu_prev") >= 1000000000 OR ABS(CAST(0.8 AS DECIMAL(28, 10))) >= 1000000000
      )
      AND CAST("arpu_prev" * CAST(0.8 AS DECIMAL(28, 10)) AS DECIMAL(28, 10)) IS NULL
      AND NOT "arpu_prev" IS NULL
      THEN 'number overflow in ''spend-warning'': arpu_prev * 0.8 is beyond 18 digits before the point'
    END AS __err0_3,
    __when_4 AND NOT (
      __when_1 OR __when_2
    ) AS __fired_4,
    __when_5 AS __fired_5,
    CASE WHEN __fired_3 THEN 'warning' ELSE CAST('stable' AS VARCHAR) END AS "trend"
  FROM stratum_2_when
), stratum_2 AS (
  SELECT
    "id",
    "arpu",
    "arpu_prev",
    "arpu_3m",
    "tenure_months",
    "package_fee",
    "card",
    "status",
    "birthday_month",
    __error,
    "tier",
    __s1_fired,
    __err0_3,
    __fired_4,
    "trend",
    ARRAY(SELECT
      x
    FROM UNNEST(ARRAY[
      CASE WHEN __fired_1 THEN 'prestore-golf' WHEN __fired_2 THEN 'prestore-lecture' END,
      CASE WHEN __fired_3 THEN 'spend-warning' END,
      CASE WHEN __fired_4 THEN 'trial-pack' END,
      CASE WHEN __fired_5 THEN 'birthday-care' END
    ]) AS _t2(x)
    WHERE
      NOT x IS NULL) AS __s2_fired,
    ARRAY(SELECT
      x
    FROM UNNEST(ARRAY[
      CASE
        WHEN __fired_1
        THEN 'prestore-golf'
        WHEN __fired_2
        THEN 'prestore-lecture'
        WHEN __fired_4
        THEN 'trial-pack'
      END
    ]) AS _t3(x)
    WHERE
      NOT x IS NULL) AS __s2_offers,
    __fired_5 AS __s2_tag_0,
    __fired_3 AS __s2_tag_1
  FROM stratum_2_then
), access_modes AS (
  SELECT
    *,
    CASE
      WHEN CAST("tier" AS VARCHAR) IN ('diamond', 'gold')
      THEN ARRAY['free']
      ELSE CAST(ARRAY[] AS VARCHAR[])
    END AS __modes_0,
    CASE
      WHEN CAST("tier" AS VARCHAR) IN ('diamond', 'gold')
      THEN ARRAY['free']
      ELSE CAST(ARRAY[] AS VARCHAR[])
    END AS __modes_1,
    CASE
      WHEN CAST("tier" AS VARCHAR) IN ('diamond', 'gold')
      THEN ARRAY['free']
      ELSE CAST(ARRAY[] AS VARCHAR[])
    END AS __modes_2,
    CASE
      WHEN CAST("tier" AS VARCHAR) IN ('diamond', 'gold')
      THEN ARRAY['free']
      ELSE CAST(ARRAY[] AS VARCHAR[])
    END AS __modes_3,
    CASE
      WHEN CAST("tier" AS VARCHAR) IN ('diamond', 'gold')
      THEN ARRAY['free']
      ELSE CAST(ARRAY[] AS VARCHAR[])
    END AS __modes_4,
    CASE
      WHEN CAST("tier" AS VARCHAR) IN ('diamond', 'gold')
      THEN ARRAY['free']
      WHEN CAST("tier" AS VARCHAR) IN ('silver')
      THEN ARRAY['paid', 'prestore', 'trial']
      WHEN CAST("tier" AS VARCHAR) IN ('member', 'mid_high', 'ordinary')
      THEN ARRAY['paid', 'trial']
      ELSE CAST(ARRAY[] AS VARCHAR[])
    END AS __modes_5,
    ARRAY_CAT(
      CASE
        WHEN CAST("tier" AS VARCHAR) IN ('diamond', 'gold')
        THEN ARRAY['free']
        WHEN CAST("tier" AS VARCHAR) IN ('silver')
        THEN ARRAY['paid', 'prestore', 'trial']
        WHEN CAST("tier" AS VARCHAR) IN ('member', 'mid_high', 'ordinary')
        THEN ARRAY['paid', 'trial']
        ELSE CAST(ARRAY[] AS VARCHAR[])
      END,
      ARRAY(SELECT
        x
      FROM UNNEST(ARRAY[
        CASE
          WHEN __fired_4
          AND NOT COALESCE(CAST("tier" AS VARCHAR) IN ('silver', 'member', 'mid_high', 'ordinary'), FALSE)
          THEN 'trial'
        END
      ]) AS _t4(x)
      WHERE
        NOT x IS NULL)
    ) AS __modes_6,
    CASE
      WHEN CAST("tier" AS VARCHAR) IN ('diamond', 'gold')
      THEN ARRAY['free']
      WHEN CAST("tier" AS VARCHAR) IN ('silver')
      THEN ARRAY['paid', 'prestore', 'trial']
      WHEN CAST("tier" AS VARCHAR) IN ('member', 'mid_high', 'ordinary')
      THEN ARRAY['paid', 'trial']
      ELSE CAST(ARRAY[] AS VARCHAR[])
    END AS __modes_7,
    CASE
      WHEN CAST("tier" AS VARCHAR) IN ('diamond', 'gold')
      THEN ARRAY['free']
      WHEN CAST("tier" AS VARCHAR) IN ('silver')
      THEN ARRAY['paid', 'prestore', 'trial']
      WHEN CAST("tier" AS VARCHAR) IN ('member', 'mid_high', 'ordinary')
      THEN ARRAY['paid', 'trial']
      ELSE CAST(ARRAY[] AS VARCHAR[])
    END AS __modes_8,
    CASE
      WHEN CAST("tier" AS VARCHAR) IN ('diamond', 'gold')
      THEN ARRAY['free']
      WHEN CAST("tier" AS VARCHAR) IN ('silver')
      THEN ARRAY['paid', 'prestore', 'trial']
      WHEN CAST("tier" AS VARCHAR) IN ('member', 'mid_high', 'ordinary')
      THEN ARRAY['paid', 'trial']
      ELSE CAST(ARRAY[] AS VARCHAR[])
    END AS __modes_9,
    CASE
      WHEN CAST("tier" AS VARCHAR) IN ('diamond', 'gold')
      THEN ARRAY['free']
      WHEN CAST("tier" AS VARCHAR) IN ('silver')
      THEN ARRAY['paid', 'prestore', 'trial']
      WHEN CAST("tier" AS VARCHAR) IN ('member', 'mid_high', 'ordinary')
      THEN ARRAY['paid', 'trial']
      ELSE CAST(ARRAY[] AS VARCHAR[])
    END AS __modes_10,
    CASE
      WHEN CAST("tier" AS VARCHAR) IN ('diamond', 'gold')
      THEN ARRAY['free']
      WHEN CAST("tier" AS VARCHAR) IN ('silver')
      THEN ARRAY['paid', 'prestore', 'trial']
      WHEN CAST("tier" AS VARCHAR) IN ('member', 'mid_high', 'ordinary')
      THEN ARRAY['paid', 'trial']
      ELSE CAST(ARRAY[] AS VARCHAR[])
    END AS __modes_11,
    CASE
      WHEN CAST("tier" AS VARCHAR) IN ('diamond', 'gold')
      THEN ARRAY['free']
      WHEN CAST("tier" AS VARCHAR) IN ('silver')
      THEN ARRAY['paid', 'prestore', 'trial']
      WHEN CAST("tier" AS VARCHAR) IN ('member', 'mid_high', 'ordinary')
      THEN ARRAY['paid', 'trial']
      ELSE CAST(ARRAY[] AS VARCHAR[])
    END AS __modes_12,
    CASE
      WHEN CAST("tier" AS VARCHAR) IN ('diamond', 'gold')
      THEN ARRAY['free']
      WHEN CAST("tier" AS VARCHAR) IN ('silver')
      THEN ARRAY['paid', 'prestore', 'trial']
      WHEN CAST("tier" AS VARCHAR) IN ('member', 'mid_high', 'ordinary')
      THEN ARRAY['paid', 'trial']
      ELSE CAST(ARRAY[] AS VARCHAR[])
    END AS __modes_13,
    CASE
      WHEN CAST("tier" AS VARCHAR) IN ('diamond', 'gold', 'silver', 'member', 'mid_high', 'ordinary')
      THEN ARRAY['free']
      ELSE CAST(ARRAY[] AS VARCHAR[])
    END AS __modes_14,
    CASE
      WHEN CAST("tier" AS VARCHAR) IN ('diamond', 'gold', 'silver', 'member', 'mid_high', 'ordinary')
      THEN ARRAY['free']
      ELSE CAST(ARRAY[] AS VARCHAR[])
    END AS __modes_15,
    CASE
      WHEN CAST("tier" AS VARCHAR) IN ('diamond', 'gold', 'silver', 'member', 'mid_high', 'ordinary')
      THEN ARRAY['free']
      ELSE CAST(ARRAY[] AS VARCHAR[])
    END AS __modes_16
  FROM stratum_2
), row_error AS (
  SELECT
    *,
    COALESCE(__error, __err0_3) AS __row_error
  FROM access_modes
)
SELECT
  CAST("id" AS VARCHAR) AS "id",
  CASE WHEN __row_error IS NULL THEN "tier" END AS "tier",
  CASE WHEN __row_error IS NULL THEN "trend" END AS "trend",
  CASE
    WHEN __row_error IS NULL
    THEN ARRAY(SELECT
      x
    FROM UNNEST(ARRAY[
      CASE WHEN __s2_tag_0 THEN 'birthday-care' END,
      CASE WHEN __s2_tag_1 THEN 'retention-target' END
    ]) AS _t0(x)
    WHERE
      NOT x IS NULL)
  END AS "tags",
  CASE WHEN __row_error IS NULL THEN __s2_offers END AS "offers",
  CASE
    WHEN __row_error IS NULL
    THEN JSONB_STRIP_NULLS(
      JSONB_BUILD_OBJECT(
        'magazine',
        CASE WHEN CARDINALITY(__modes_0) > 0 THEN TO_JSONB(__modes_0) END,
        'airport-lounge',
        CASE WHEN CARDINALITY(__modes_1) > 0 THEN TO_JSONB(__modes_1) END,
        'rail-lounge',
        CASE WHEN CARDINALITY(__modes_2) > 0 THEN TO_JSONB(__modes_2) END,
        'birthday-care',
        CASE WHEN CARDINALITY(__modes_3) > 0 THEN TO_JSONB(__modes_3) END,
        'account-manager',
        CASE WHEN CARDINALITY(__modes_4) > 0 THEN TO_JSONB(__modes_4) END,
        'golf-club',
        CASE WHEN CARDINALITY(__modes_5) > 0 THEN TO_JSONB(__modes_5) END,
        'fitness-club',
        CASE WHEN CARDINALITY(__modes_6) > 0 THEN TO_JSONB(__modes_6) END,
        'car-club',
        CASE WHEN CARDINALITY(__modes_7) > 0 THEN TO_JSONB(__modes_7) END,
        'handset-club',
        CASE WHEN CARDINALITY(__modes_8) > 0 THEN TO_JSONB(__modes_8) END,
        'lecture-hall',
        CASE WHEN CARDINALITY(__modes_9) > 0 THEN TO_JSONB(__modes_9) END,
        'handset-service',
        CASE WHEN CARDINALITY(__modes_10) > 0 THEN TO_JSONB(__modes_10) END,
        'sim-service',
        CASE WHEN CARDINALITY(__modes_11) > 0 THEN TO_JSONB(__modes_11) END,
        'health-service',
        CASE WHEN CARDINALITY(__modes_12) > 0 THEN TO_JSONB(__modes_12) END,
        'roaming-rental',
        CASE WHEN CARDINALITY(__modes_13) > 0 THEN TO_JSONB(__modes_13) END,
        'merchant-alliance',
        CASE WHEN CARDINALITY(__modes_14) > 0 THEN TO_JSONB(__modes_14) END,
        'co-brand-card',
        CASE WHEN CARDINALITY(__modes_15) > 0 THEN TO_JSONB(__modes_15) END,
        'local-specialty',
        CASE WHEN CARDINALITY(__modes_16) > 0 THEN TO_JSONB(__modes_16) END
      )
    )
  END AS "access",
  CASE WHEN __row_error IS NULL THEN CAST(0 AS BIGINT) END AS "points",
  CASE WHEN __row_error IS NULL THEN ARRAY_CAT(__s1_fired, __s2_fired) END AS "fired",
  __row_error AS "error"
FROM row_error
